"""The leaderboard's self-contained static page: sortable table, a radar per model, a heatmap of nodes.

Everything is inline (CSS, SVG, script), so the page works from a file, a Space or an archive without network.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from scine_eval.headline import PILLARS, Score
from scine_eval.leaderboard.board import OVERALL_RULE, SIGNIFICANCE_RULE, Leaderboard, Row
from scine_eval.leaderboard.render import fmt_interval, fmt_score


def render_html(board: Leaderboard) -> str:
    """The self-contained page: sortable table, radar per model, heatmap, provenance (no external asset)."""
    title = "scine-eval leaderboard"
    body = "\n".join(
        [
            f"<h1>{title}</h1>",
            f"<p class='meta'>Judge: <b>{_e(board.judge)}</b> (fingerprint <code>{_e(board.judge_fingerprint[:16])}"
            f"</code>) · suite version: <b>{_e(board.suite_version)}</b> · taxonomy sha256 "
            f"<code>{_e(board.taxonomy_sha256[:16])}</code> · root tasks: {_e(', '.join(board.root_tasks))}</p>",
            "<p class='meta'>Scores are 0-100 (mean 1-5 rating mapped linearly) with 95 % bootstrap intervals over "
            "prompts. Overall: " + _e(OVERALL_RULE) + ". ✓: " + _e(SIGNIFICANCE_RULE) + ". Click a header to "
            "sort.</p>",
            _html_table(board),
            "<h2>Pillars</h2>",
            "<div class='radars'>" + "".join(_radar(row, board.pillars) for row in board.rows) + "</div>",
            "<h2>Heatmap: models × nodes</h2>",
            _heatmap(board),
        ]
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'>\n<head>\n<meta charset='utf-8'>\n"
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n"
        f"<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _html_table(board: Leaderboard) -> str:
    columns = ["rank", "model", "overall", "95% CI", "gap", *board.pillars, *board.nodes, "samples", "details"]
    numeric = {"rank", "overall", "samples", *board.pillars, *board.nodes}
    head = "".join(
        f"<th data-type='{'num' if c in numeric else 'text'}' title='sort by {_e(c)}'>{_e(c)}</th>" for c in columns
    )
    body = []
    for row in board.rows:
        scores = [row.pillars.get(p, Score(None)) for p in board.pillars]
        scores += [row.nodes.get(n, Score(None)) for n in board.nodes]
        cells = [_num(row.rank, str(row.rank)), f"<td class='model'>{_e(row.model)}</td>",
                 _num(row.overall.value, f"<b>{fmt_score(row.overall.value)}</b>"),
                 f"<td>{_e(fmt_interval(row.overall))}</td>", f"<td>{'✓' if row.significant_gap else ''}</td>",
                 *(_num(s.value, fmt_score(s.value), fmt_interval(s)) for s in scores),
                 _num(row.n_samples, str(row.n_samples)),
                 f"<td><a href='{_e(row.details)}'>results</a></td>"]  # fmt: skip
        body.append(f"<tr data-model='{_e(row.model)}'>{''.join(cells)}</tr>")
    return (
        f"<table id='board' class='sortable'><thead><tr>{head}</tr></thead><tbody>\n"
        + "\n".join(body)
        + "\n</tbody></table>"
    )


def _num(value: float | int | None, shown: str, title: str = "") -> str:
    sort = "" if value is None else f"{value:.6g}"
    hint = f" title='95% CI {_e(title)}'" if title else ""
    return f"<td class='num' data-v='{sort}'{hint}>{shown}</td>"


def _colour(value: float | None) -> str:
    """Red (0) through yellow to green (100); grey for no score."""
    if value is None:
        return "#e5e5e5"
    hue = max(0.0, min(100.0, value)) * 1.2
    return f"hsl({hue:.0f}, 70%, 72%)"


def _heatmap(board: Leaderboard) -> str:
    columns = [*board.pillars, *board.nodes]
    head = "".join(f"<th class='rot'><span>{_e(c)}</span></th>" for c in columns)
    lines = []
    for row in board.rows:
        scores = [row.pillars.get(p, Score(None)) for p in board.pillars]
        scores += [row.nodes.get(n, Score(None)) for n in board.nodes]
        cells = "".join(f"<td style='background:{_colour(s.value)}' title='{_e(c)}: {fmt_score(s.value)}'>"
                        f"{fmt_score(s.value)}</td>" for c, s in zip(columns, scores, strict=True))  # fmt: skip
        lines.append(f"<tr><th>{_e(row.model)}</th>{cells}</tr>")
    rows = "".join(lines)
    return f"<table id='heatmap' class='heat'><thead><tr><th></th>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _radar(row: Row, pillars: Sequence[str], size: int = 280) -> str:
    """An inline SVG radar of one model over the pillars (at least three axes: missing pillars count as 0)."""
    axes = list(dict.fromkeys([*PILLARS, *pillars]))
    centre, radius = size / 2, size / 2 - 64  # room for the side labels ("lighting 90.6")
    corners = [_polar(centre, radius, i, len(axes)) for i in range(len(axes))]
    rings = "".join(
        f"<polygon points='{_points([_polar(centre, radius * f, i, len(axes)) for i in range(len(axes))])}' "
        "class='ring'/>"
        for f in (0.25, 0.5, 0.75, 1.0)
    )
    spokes = "".join(f"<line x1='{centre}' y1='{centre}' x2='{x:.1f}' y2='{y:.1f}' class='ring'/>" for x, y in corners)
    values = [row.pillars.get(a, Score(None)).value for a in axes]
    shape = [_polar(centre, radius * (v or 0.0) / 100, i, len(axes)) for i, v in enumerate(values)]
    labels = "".join(
        f"<text x='{x:.1f}' y='{y:.1f}' text-anchor='middle'>{_e(a)} {fmt_score(v)}</text>"
        for a, v, (x, y) in zip(
            axes, values, [_polar(centre, radius + 20, i, len(axes)) for i in range(len(axes))], strict=True
        )
    )
    return (
        f"<figure class='radar'><svg width='{size}' height='{size}' viewBox='0 0 {size} {size}' role='img' "
        f"aria-label='pillar scores of {_e(row.model)}'>{rings}{spokes}"
        f"<polygon points='{_points(shape)}' class='shape'/>{labels}</svg>"
        f"<figcaption>{_e(row.model)}: {fmt_score(row.overall.value)}</figcaption></figure>"
    )


def _polar(centre: float, radius: float, index: int, count: int) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * index / count
    return centre + radius * math.cos(angle), centre + radius * math.sin(angle)


def _points(points: Sequence[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:14px}
th,td{border:1px solid #ccc;padding:4px 8px}
#board th{cursor:pointer;background:#f3f3f3;user-select:none}
#board th.asc::after{content:" \\25B2"} #board th.desc::after{content:" \\25BC"}
td.num{text-align:right} .meta{color:#555;max-width:70em}
.radars{display:flex;flex-wrap:wrap;gap:1em} .radar{margin:0;text-align:center}
.radar text{font-size:10px;fill:#333} .ring{fill:none;stroke:#ccc}
.shape{fill:rgba(40,110,200,.35);stroke:#286ec8;stroke-width:2}
.heat td{text-align:center;min-width:3em} th.rot{height:9em;vertical-align:bottom}
th.rot span{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
"""

_SCRIPT = """
(function(){
  var table=document.getElementById('board');
  var heads=table.tHead.rows[0].cells;
  function key(row,i,num){
    var cell=row.cells[i];
    if(!num){return cell.textContent.trim().toLowerCase();}
    var v=cell.getAttribute('data-v');
    return v===null||v===''?null:parseFloat(v);
  }
  function sortBy(i){
    var th=heads[i], num=th.getAttribute('data-type')==='num';
    var desc=th.classList.contains('asc')?true:th.classList.contains('desc')?false:num;
    for(var j=0;j<heads.length;j++){heads[j].classList.remove('asc','desc');}
    th.classList.add(desc?'desc':'asc');
    var body=table.tBodies[0], rows=Array.prototype.slice.call(body.rows);
    rows.sort(function(a,b){
      var x=key(a,i,num), y=key(b,i,num);
      if(x===null&&y===null){return 0;} if(x===null){return 1;} if(y===null){return -1;}
      var c=x<y?-1:x>y?1:0; return desc?-c:c;
    });
    rows.forEach(function(r){body.appendChild(r);});
  }
  for(var i=0;i<heads.length;i++){
    heads[i].addEventListener('click',(function(k){return function(){sortBy(k);};})(i));
  }
  window.scineSort=sortBy;
})();
"""
