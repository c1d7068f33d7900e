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
# # 04 · Users and retention
# Who bought: new or returning customers, how visitors converted, who came back during and after the
# campaign, which RFM groups, members or not, and from which city tiers.

# %% [markdown] tags=["zh"]
# # 04 · 用户与留存
# 谁在购买：新客还是老客、访客转化如何、活动期内与活动后的复购与留存、RFM分层、会员与非会员、城市等级分布。

# %% tags=["parameters"]
params_file = None  # None: the campaign `retro lab` opened, else params/demo_double11.yaml
run_dir = None

# %%
import retro
from retro.sections import users

ctx = retro.open_section("users", params_file, run_dir)

# %%
ctx.team_notes()

# %% [markdown] tags=["en"]
# ## Headline figures

# %% [markdown] tags=["zh"]
# ## 核心指标

# %%
users.kpi_table(ctx)

# %% [markdown] tags=["en"]
# ## New customers
# A new customer has no paid order in the look-back window before the campaign.

# %% [markdown] tags=["zh"]
# ## 新客
# 新客：活动开始前的回溯期内没有支付订单的买家。

# %%
users.history_note(ctx)

# %%
users.new_vs_returning(ctx)

# %%
users.acquisition_chart(ctx)

# %% [markdown] tags=["en"]
# ## First-order conversion of new vs returning visitors

# %% [markdown] tags=["zh"]
# ## 新老访客首单转化

# %%
users.visitor_conversion(ctx)

# %% [markdown] tags=["en"]
# ## Repurchase within the campaign

# %% [markdown] tags=["zh"]
# ## 活动期复购

# %%
users.repurchase(ctx)

# %% [markdown] tags=["en"]
# ## Retention after the campaign
# Of campaign buyers, the share paying again within 7, 14 and 30 days after the campaign ended.

# %% [markdown] tags=["zh"]
# ## 活动后留存
# 活动买家在活动结束后7、14、30天内再次支付的比例。

# %%
users.retention_cohort(ctx)

# %% [markdown] tags=["en"]
# ## RFM segments

# %% [markdown] tags=["zh"]
# ## RFM分层

# %%
users.rfm_segments(ctx)

# %% [markdown] tags=["en"]
# ## Members vs non-members

# %% [markdown] tags=["zh"]
# ## 会员与非会员

# %%
users.membership(ctx)

# %% [markdown] tags=["en"]
# ## City-tier mix

# %% [markdown] tags=["zh"]
# ## 城市等级分布

# %%
users.city_tier(ctx)

# %%
users.city_tier_chart(ctx)

# %% [markdown] tags=["en"]
# ## Findings

# %% [markdown] tags=["zh"]
# ## 结论

# %%
retro.findings.section_findings(ctx)
