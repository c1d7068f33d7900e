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
# # 06 · Fulfilment and supply
# Did orders ship and arrive on time, where did deliveries run late, and which products sold out and for how long.

# %% [markdown] tags=["zh"]
# # 06 · 履约与供应链
# 订单是否按时发货、按时送达，哪里延迟，哪些商品售罄、缺货多久、补货是否及时。

# %% tags=["parameters"]
params_file = None  # None: the campaign `retro lab` opened, else params/demo_double11.yaml
run_dir = None

# %%
import retro
from retro.sections import fulfilment

ctx = retro.open_section("fulfilment", params_file, run_dir)

# %%
ctx.team_notes()

# %% [markdown] tags=["en"]
# ## Headline figures

# %% [markdown] tags=["zh"]
# ## 核心指标

# %%
fulfilment.kpi_table(ctx)

# %% [markdown] tags=["en"]
# ## Shipped on time after payment
# Ship time starts at payment; for presale orders, at the balance payment.

# %% [markdown] tags=["zh"]
# ## 按时发货
# 发货时长从支付时刻起算；预售订单从尾款支付起算。

# %%
fulfilment.shipping_by_phase(ctx)

# %% [markdown] tags=["en"]
# ## Delivery time by region
# Hours from payment to delivery: median, P90 and mean, with the number of delivered orders.

# %% [markdown] tags=["zh"]
# ## 分地区送达时长
# 支付到送达的小时数：中位数、P90与平均值，并列出送达单量。

# %%
fulfilment.delivery_by_region(ctx)

# %% [markdown] tags=["en"]
# ## Late deliveries by day
# Late = delivered after the promise (the promised hours from payment, or after the promised date);
# orders grouped by the day they were paid.

# %% [markdown] tags=["zh"]
# ## 每日延迟送达
# 延迟 = 晚于承诺（支付后承诺小时数，或承诺送达日期）送达；按支付日统计。

# %%
fulfilment.late_by_day_chart(ctx)

# %%
fulfilment.late_peak(ctx)

# %% [markdown] tags=["en"]
# ## Stock-outs and estimated lost sales

# %% [markdown] tags=["zh"]
# ## 售罄与缺货损失估算

# %%
fulfilment.stockouts(ctx)

# %% [markdown] tags=["en"]
# ## Sell-through

# %% [markdown] tags=["zh"]
# ## 售罄率

# %%
fulfilment.sell_through(ctx)

# %% [markdown] tags=["en"]
# ## Replenishment lag
# Hours from a SKU selling out to the next snapshot that records units received; lags over 24 h are flagged.

# %% [markdown] tags=["zh"]
# ## 补货时滞
# 从SKU售罄到下一次记录到补货入库的小时数；超过24小时的会被标出。

# %%
fulfilment.replenishment_chart(ctx)

# %%
fulfilment.replenishment_note(ctx)

# %% [markdown] tags=["en"]
# ## Findings

# %% [markdown] tags=["zh"]
# ## 结论

# %%
retro.findings.section_findings(ctx)
