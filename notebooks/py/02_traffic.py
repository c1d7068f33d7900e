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
# # 02 · Traffic
# How many people came, through which channels and on which days, whether they were new, how long they
# stayed, and what each visitor was worth.

# %% [markdown] tags=["zh"]
# # 02 · 流量
# 来了多少人、从哪些渠道、在哪几天来；新访客占比、停留与跳失，以及每个访客带来的价值。

# %% tags=["parameters"]
params_file = None  # None: the campaign `retro lab` opened, else params/demo_double11.yaml
run_dir = None

# %%
import retro
from retro.sections import traffic

ctx = retro.open_section("traffic", params_file, run_dir)

# %%
ctx.team_notes()

# %% [markdown] tags=["en"]
# ## Headline figures

# %% [markdown] tags=["zh"]
# ## 核心指标

# %%
traffic.kpi_table(ctx)

# %% [markdown] tags=["en"]
# ## PV and UV by channel and by day
# PV counts view events; UV counts distinct visitors at the level shown (per day, or over the whole campaign).

# %% [markdown] tags=["zh"]
# ## 分渠道、分日PV与UV
# PV为浏览事件数；UV为对应口径下的去重访客（按日去重或活动期去重）。

# %%
traffic.channel_table(ctx)

# %%
traffic.daily_pv_chart(ctx)

# %%
traffic.daily_channel_chart(ctx)

# %% [markdown] tags=["en"]
# ## On-site vs off-site

# %% [markdown] tags=["zh"]
# ## 站内与站外流量

# %%
traffic.site_table(ctx)

# %% [markdown] tags=["en"]
# ## New vs returning visitors

# %% [markdown] tags=["zh"]
# ## 新老访客

# %%
traffic.new_vs_returning(ctx)

# %% [markdown] tags=["en"]
# ## Bounce rate and dwell time

# %% [markdown] tags=["zh"]
# ## 跳失率与停留时长

# %%
traffic.bounce_dwell(ctx)

# %% [markdown] tags=["en"]
# ## UV value
# GMV (orders placed, any status) divided by UV distinct over the campaign.

# %% [markdown] tags=["zh"]
# ## UV价值
# GMV（全部下单金额，含取消与退款）除以活动期去重UV。

# %%
traffic.uv_value_table(ctx)

# %% [markdown] tags=["en"]
# ## UV vs the daily baseline

# %% [markdown] tags=["zh"]
# ## UV与日常对比

# %%
traffic.baseline_note(ctx)

# %%
traffic.phase_table(ctx)

# %%
traffic.daily_uv_chart(ctx)

# %% [markdown] tags=["en"]
# ## Findings

# %% [markdown] tags=["zh"]
# ## 结论

# %%
retro.findings.section_findings(ctx)
