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
# # 05 · Marketing and ROI
# What we spent, where, and what it brought back: ROAS, ROI and CAC by channel, coupons, channel
# contribution to GMV, dependence on top KOLs, and spend against budget.

# %% [markdown] tags=["zh"]
# # 05 · 营销与ROI
# 投入了多少、投在哪里、带来了什么：分渠道ROAS、ROI与获客成本，优惠券，渠道GMV贡献，头部达人依赖度，预算执行。

# %% tags=["parameters"]
params_file = None  # None: the campaign `retro lab` opened, else params/demo_double11.yaml
run_dir = None

# %%
import retro
from retro.sections import marketing

ctx = retro.open_section("marketing", params_file, run_dir)

# %%
ctx.team_notes()

# %% [markdown] tags=["en"]
# ## Headline figures

# %% [markdown] tags=["zh"]
# ## 核心指标

# %%
marketing.kpi_table(ctx)

# %% [markdown] tags=["en"]
# ## Spend and returns by channel
# ROAS = attributed revenue / spend; ROI = (attributed revenue − spend − cost of goods) / spend; CAC = spend / new customers.

# %% [markdown] tags=["zh"]
# ## 分渠道投入与回报
# ROAS = 归因销售额 / 投入；ROI =（归因销售额 − 投入 − 商品成本）/ 投入；获客成本 = 投入 / 新客数。

# %%
marketing.channel_table(ctx)

# %%
marketing.roi_note(ctx)

# %%
marketing.spend_chart(ctx)

# %% [markdown] tags=["en"]
# ## Spend and returns by phase

# %% [markdown] tags=["zh"]
# ## 分阶段投入与回报

# %%
marketing.phase_table(ctx)

# %% [markdown] tags=["en"]
# ## Coupons

# %% [markdown] tags=["zh"]
# ## 优惠券

# %%
marketing.coupons(ctx)

# %% [markdown] tags=["en"]
# ## Channel contribution to GMV

# %% [markdown] tags=["zh"]
# ## 渠道GMV贡献

# %%
marketing.channel_contribution(ctx)

# %%
marketing.channel_contribution_chart(ctx)

# %% [markdown] tags=["en"]
# ## Concentration on top KOLs

# %% [markdown] tags=["zh"]
# ## 头部达人集中度

# %%
marketing.kol_chart(ctx)

# %%
marketing.kol_table(ctx)

# %% [markdown] tags=["en"]
# ## Budget vs actual

# %% [markdown] tags=["zh"]
# ## 预算执行

# %%
marketing.budget_table(ctx)

# %% [markdown] tags=["en"]
# ## Findings

# %% [markdown] tags=["zh"]
# ## 结论

# %%
retro.findings.section_findings(ctx)
