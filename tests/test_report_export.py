"""The HTML export shows what a reader should see: no heading over elements that all showed nothing."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from retro.report import make_exporter, page_text


def shown(html: str):
    return new_output("execute_result", data={"text/html": html, "text/plain": ""}, execution_count=1)


def test_a_heading_whose_elements_showed_nothing_is_dropped():
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Fulfilment", metadata={"tags": ["en"]}),
            new_code_cell("import retro"),  # displays nothing: the title stays
            new_markdown_cell("## Stock-outs", metadata={"tags": ["en"]}),
            new_markdown_cell("## 售罄", metadata={"tags": ["zh"]}),
            new_code_cell("fulfilment.stockouts(ctx)", outputs=[shown("")]),  # left out, said already
            new_markdown_cell("## Sell-through", metadata={"tags": ["en"]}),
            new_code_cell("fulfilment.sell_through(ctx)", outputs=[shown("")]),
            new_code_cell("fulfilment.note(ctx)", outputs=[shown("<p>Sell-through was 80%.</p>")]),
            new_markdown_cell("## Findings", metadata={"tags": ["en"]}),
            new_code_cell("findings(ctx)", outputs=[shown("<p>No finding.</p>")]),
        ]
    )
    body, _ = make_exporter("en").from_notebook_node(nbformat.from_dict(nb))
    text = page_text(body)
    assert "Fulfilment" in text and "Findings" in text and "No finding." in text
    assert "Sell-through was 80%." in text and "Sell-through" in text  # one element showed something
    assert "Stock-outs" not in text and "售罄" not in text


def test_the_one_file_report_has_each_id_once_and_links_only_inside_itself():
    import re

    from retro.report import single_file_body

    q = "%E9%97%AE%E9%A2%98"  # nbconvert writes the heading 问题's id and its ¶ link percent-encoded
    heading = f'<h2 id="{q}">问题<a class="anchor-link" href="#{q}">¶</a></h2>'
    overview = (
        heading + '<li id="finding-gmv-overall">GMV <a href="01_sales.html#finding-gmv-overall">→ 销售</a></li>'
        '<a href="00_goals.html">目标</a>'
    )
    body = single_file_body(overview, {"goals": heading, "sales": heading + '<li id="finding-gmv-overall">GMV</li>'})
    ids = re.findall(r'id="([^"]+)"', body)
    assert len(ids) == len(set(ids)), ids
    hrefs = re.findall(r'href="([^"]+)"', body)
    assert all(h.startswith("#") and h[1:] in ids for h in hrefs), hrefs
    # the overview's finding link lands on the sales page's item; each heading's ¶ on its own heading
    assert hrefs == [f"#overview-{q}", "#finding-gmv-overall", "#sec-goals", f"#{q}", f"#sales-{q}"]
    assert 'id="finding-gmv-overall">GMV</li>' in body
