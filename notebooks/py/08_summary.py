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
# # 08 · Executive summary
# The campaign in one page: headline figures, what went well, what fell short, and what to do next.

# %% [markdown] tags=["zh"]
# # 08 · 总结
# 一页看懂本次大促：核心指标、亮点、问题与下一步行动。

# %% tags=["parameters"]
params_file = None  # None: the campaign `retro lab` opened, else params/demo_double11.yaml
run_dir = None

# %%
import retro
from retro.sections import summary

ctx = retro.open_section("summary", params_file, run_dir)

# %%
ctx.team_notes()

# %%
summary.headline(ctx)

# %%
summary.gap_chart(ctx)

# %% [markdown] tags=["en"]
# ## Headline figures

# %% [markdown] tags=["zh"]
# ## 核心指标

# %%
summary.kpi_cards(ctx)

# %% [markdown] tags=["en"]
# ## Highlights

# %% [markdown] tags=["zh"]
# ## 亮点

# %%
summary.highlights(ctx)

# %% [markdown] tags=["en"]
# ## Problems and what to do about them

# %% [markdown] tags=["zh"]
# ## 问题与建议动作

# %%
summary.problems(ctx)

# %% [markdown] tags=["en"]
# ## For the next campaign

# %% [markdown] tags=["zh"]
# ## 下次大促

# %%
summary.carry_forward(ctx)
