# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["en"]
# # 09 · Data quality appendix
# What the data check found, which rows the figures leave out, and whether figures that must agree across
# sections do.

# %% [markdown] tags=["zh"]
# # 09 · 附录：数据质量
# 数据检查发现了什么、哪些行未计入指标、各章节间应一致的指标是否一致。

# %% tags=["parameters"]
params_file = None  # None: the campaign `retro lab` opened, else params/demo_double11.yaml
run_dir = None

# %%
import retro
from retro.sections import quality

ctx = retro.open_section("quality", params_file, run_dir)

# %%
ctx.team_notes()

# %%
quality.overview(ctx)

# %% [markdown] tags=["en"]
# ## Problems found in the data
# Soft problems only: anything that would have made a figure wrong stopped the run before this report.

# %% [markdown] tags=["zh"]
# ## 数据中发现的问题
# 仅列出非阻断问题：会导致指标错误的问题已在生成报告前中止运行。

# %%
quality.problems_table(ctx)

# %% [markdown] tags=["en"]
# ## Rows left out of the figures

# %% [markdown] tags=["zh"]
# ## 未计入指标的行

# %%
quality.excluded_rows(ctx)

# %%
quality.excluded_lines(ctx)

# %% [markdown] tags=["en"]
# ## Consistency checks
# The same figure computed in two sections, or from two tables, must agree.

# %% [markdown] tags=["zh"]
# ## 一致性校验
# 同一指标在两个章节或两张表中计算，结果应当一致。

# %%
quality.failed_checks(ctx)

# %%
quality.checks_table(ctx)

# %% [markdown] tags=["en"]
# ## Settings this report used
# The analysis choices behind the figures, and where to change them.

# %% [markdown] tags=["zh"]
# ## 本报告使用的分析设置
# 各项指标背后的分析口径，以及修改位置。

# %%
quality.settings_table(ctx)
