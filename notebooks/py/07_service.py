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
# # 07 · Customer service
# How much the service desk was asked, how fast it answered, what customers complained about and returned, and
# how satisfied they were.

# %% [markdown] tags=["zh"]
# # 07 · 客服与售后
# 客服咨询量、响应速度、客诉与退货原因，以及顾客满意度。

# %% tags=["parameters"]
params_file = None  # None: the campaign `retro lab` opened, else params/demo_double11.yaml
run_dir = None

# %%
import retro
from retro.sections import service

ctx = retro.open_section("service", params_file, run_dir)

# %%
ctx.team_notes()

# %% [markdown] tags=["en"]
# ## Headline figures

# %% [markdown] tags=["zh"]
# ## 核心指标

# %%
service.kpi_table(ctx)

# %% [markdown] tags=["en"]
# ## Contact volume vs baseline

# %% [markdown] tags=["zh"]
# ## 咨询量与日常对比

# %%
service.contacts_chart(ctx)

# %%
service.contacts_note(ctx)

# %%
service.contacts_by_phase(ctx)

# %% [markdown] tags=["en"]
# ## First-response time
# Median and P90, not only the mean: the slowest tenth of answers is what customers remember.

# %% [markdown] tags=["zh"]
# ## 首次响应时长
# 看中位数与P90，而不只看平均值：最慢的一成回复最影响体验。

# %%
service.response_chart(ctx)

# %%
service.response_by_phase(ctx)

# %% [markdown] tags=["en"]
# ## Complaint rate

# %% [markdown] tags=["zh"]
# ## 客诉率

# %%
service.complaints_table(ctx)

# %% [markdown] tags=["en"]
# ## After-sales and return reasons

# %% [markdown] tags=["zh"]
# ## 售后与退货原因

# %%
service.reasons_table(ctx)

# %% [markdown] tags=["en"]
# ## Satisfaction and NPS

# %% [markdown] tags=["zh"]
# ## 满意度与NPS

# %%
service.satisfaction(ctx)

# %% [markdown] tags=["en"]
# ## Findings

# %% [markdown] tags=["zh"]
# ## 结论

# %%
retro.findings.section_findings(ctx)
