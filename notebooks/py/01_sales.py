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
# # 01 · Sales
# How much we sold, gross and net, when, through which categories and products, and at what margin.

# %% [markdown] tags=["zh"]
# # 01 · 销售
# 卖了多少（GMV与净销售额）、何时卖出、靠哪些品类和商品、毛利如何。

# %% tags=["parameters"]
params_file = None  # None: the campaign `retro lab` opened, else params/demo_double11.yaml
run_dir = None

# %%
import retro
from retro.sections import sales

ctx = retro.open_section("sales", params_file, run_dir)

# %%
ctx.team_notes()

# %% [markdown] tags=["en"]
# ## Headline figures

# %% [markdown] tags=["zh"]
# ## 核心指标

# %%
sales.kpi_table(ctx)

# %% [markdown] tags=["en"]
# ## Gross vs net by phase
# GMV counts every order placed; net sales exclude cancelled and refunded orders.

# %% [markdown] tags=["zh"]
# ## 分阶段GMV与净销售额
# GMV含后续取消与退款的订单；净销售额仅计已支付订单。

# %%
sales.gross_vs_net(ctx)

# %% [markdown] tags=["en"]
# ## Daily and hourly curves

# %% [markdown] tags=["zh"]
# ## 每日与逐小时走势

# %%
sales.daily_chart(ctx)

# %%
sales.hourly_chart(ctx)

# %%
sales.peak_hour(ctx)

# %% [markdown] tags=["en"]
# ## Where the buyers are

# %% [markdown] tags=["zh"]
# ## 买家地域

# %%
sales.province_table(ctx)

# %% [markdown] tags=["en"]
# ## Presale and basket size

# %% [markdown] tags=["zh"]
# ## 预售与连带

# %%
sales.presale_and_basket(ctx)

# %% [markdown] tags=["en"]
# ## Categories and products

# %% [markdown] tags=["zh"]
# ## 品类与商品

# %%
sales.freight_note(ctx)

# %%
sales.category_chart(ctx)

# %%
sales.sku_ranking(ctx)

# %%
sales.new_products(ctx)

# %%
sales.excluded_lines(ctx)

# %% [markdown] tags=["en"]
# ## Margin

# %% [markdown] tags=["zh"]
# ## 毛利

# %%
sales.margin_table(ctx)

# %% [markdown] tags=["en"]
# ## Findings

# %% [markdown] tags=["zh"]
# ## 结论

# %%
retro.findings.section_findings(ctx)
