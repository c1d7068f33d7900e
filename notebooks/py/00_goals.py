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
# # 00 · Goals and attainment
# Did we hit the targets we set, how did the campaign compare with ordinary days, and were we on pace?

# %% [markdown] tags=["zh"]
# # 00 · 目标达成
# 目标是否达成、与日常相比如何、进度是否跟上。

# %% tags=["parameters"]
params_file = None  # None: the campaign `retro lab` opened, else params/demo_double11.yaml
run_dir = None

# %%
import retro
from retro.sections import goals

ctx = retro.open_section("goals", params_file, run_dir)

# %%
ctx.team_notes()

# %% [markdown] tags=["en"]
# ## Targets at a glance

# %% [markdown] tags=["zh"]
# ## 目标一览

# %%
goals.kpi_cards(ctx)

# %%
goals.kpi_table(ctx)

# %% [markdown] tags=["en"]
# ## Against ordinary days

# %% [markdown] tags=["zh"]
# ## 与日常对比

# %%
goals.baseline_comparison(ctx)

# %% [markdown] tags=["en"]
# ## Phases

# %% [markdown] tags=["zh"]
# ## 活动节奏

# %%
goals.phase_timeline(ctx)

# %% [markdown] tags=["en"]
# ## Why GMV differs from its target, last time and ordinary days

# %% [markdown] tags=["zh"]
# ## GMV差异从何而来：对比目标、上次大促与日常

# %%
goals.driver_waterfall(ctx)

# %%
goals.drivers_table(ctx)

# %%
goals.channel_drivers(ctx)

# %%
goals.category_drivers(ctx)

# %% [markdown] tags=["en"]
# ## How much was truly extra

# %% [markdown] tags=["zh"]
# ## 真正的增量有多少

# %%
goals.lift_chart(ctx)

# %%
goals.cumulative_lift_chart(ctx)

# %%
goals.lift_table(ctx)

# %% [markdown] tags=["en"]
# ## Cumulative GMV against the target pace

# %% [markdown] tags=["zh"]
# ## 累计GMV与目标进度

# %%
goals.cumulative_pace(ctx)

# %% [markdown] tags=["en"]
# ## Findings on targets

# %% [markdown] tags=["zh"]
# ## 目标结论

# %%
goals.target_findings(ctx)
