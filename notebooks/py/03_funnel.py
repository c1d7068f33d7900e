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
# # 03 · Conversion funnel
# Where visitors dropped out between view, add-to-cart, order and payment, in each phase and channel, and
# how the rates compare with the benchmarks.

# %% [markdown] tags=["zh"]
# # 03 · 转化漏斗
# 访客在浏览、加购、下单、支付之间的流失：分阶段、分渠道，以及与基准的对比。

# %% tags=["parameters"]
params_file = None  # None: the campaign `retro lab` opened, else params/demo_double11.yaml
run_dir = None

# %%
import retro
from retro.sections import funnel

ctx = retro.open_section("funnel", params_file, run_dir)

# %%
ctx.team_notes()

# %% [markdown] tags=["en"]
# ## How the funnel is counted

# %% [markdown] tags=["zh"]
# ## 漏斗口径

# %%
funnel.method_note(ctx)

# %% [markdown] tags=["en"]
# ## The funnel over the whole campaign

# %% [markdown] tags=["zh"]
# ## 全周期转化漏斗

# %%
funnel.conversion_note(ctx)

# %%
funnel.kpi_table(ctx)

# %%
funnel.funnel_chart(ctx)

# %%
funnel.rates_table(ctx)

# %% [markdown] tags=["en"]
# ## Largest drop-off

# %% [markdown] tags=["zh"]
# ## 最大流失环节

# %%
funnel.largest_drop(ctx)

# %% [markdown] tags=["en"]
# ## By phase
# Each phase's visitors and rates, next to the pooled whole-campaign row.

# %% [markdown] tags=["zh"]
# ## 分阶段
# 各阶段的访客量与转化率，与全周期合计并列。

# %%
funnel.phase_chart(ctx)

# %%
funnel.phase_table(ctx)

# %% [markdown] tags=["en"]
# ## By channel
# A small channel's high rate rests on few visitors: read the volumes beside the rates.

# %% [markdown] tags=["zh"]
# ## 分渠道
# 小渠道的高转化率基于少量访客，请结合访客量阅读。

# %%
funnel.channel_table(ctx)

# %% [markdown] tags=["en"]
# ## Against benchmarks

# %% [markdown] tags=["zh"]
# ## 与基准对比

# %%
funnel.benchmark_table(ctx)

# %% [markdown] tags=["en"]
# ## Findings

# %% [markdown] tags=["zh"]
# ## 结论

# %%
retro.findings.section_findings(ctx)
