#!/usr/bin/env python3
"""crimecast report: one self-contained HTML file. A tensor written here with h5py and
two baselines of it are reported; the page parses, every picture is an embedded PNG
that decodes (tests/integration/png_reader.py), nothing points outside the file, the
table's deviance for each model is the one `crimecast eval --json` gives, the paired
differences are there; headless Chromium (Debian's chromium) renders it with no failed
resource and a screenshot that is not blank. Bad input: an unknown category, a missing
forecast: exit 1 naming it, no file.

usage: report_test.py CRIMECAST
"""
import base64
import html
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

from checks import check, summary
from png_reader import read_png
from synthetic_tensor import write_tensor

CRIMECAST = sys.argv[1]


def run(*args):
    return subprocess.run([CRIMECAST, *args], capture_output=True, text=True)


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.links, self.cells, self.rows = [], [], [], []
        self.cell = None  # the text of the <td> open now

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a.get("src", ""))
        for key in ("href", "src"):
            if key in a and not a[key].startswith("data:"):
                self.links.append(a[key])
        if tag == "tr":
            self.rows.append([])
        if tag == "td":
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self.rows and self.cell is not None:  # a cell's text: "v" or "v [lo, hi]"
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(3)
        counts = rng.poisson(2.0, size=(80, 2, 10, 12)).astype(np.float32)  # 12 test bins: intervals
        mask = np.ones((10, 12), np.uint8)
        mask[:2, :3] = 0
        tensor = os.path.join(tmp, "t.h5")
        write_tensor(tensor, counts, mask, ["all", "theft"])
        forecasts = []
        for method in ("histavg", "persistence"):
            f = os.path.join(tmp, method + ".h5")
            p = run("baseline", "--method", method, "--data", tensor, "--out", f)
            check("baseline " + method, p.returncode == 0, p.stderr)
            forecasts.append(f)
        out = os.path.join(tmp, "report.html")
        p = run("report", "--data", tensor, *forecasts, "--versus", "persistence", "--out", out)
        check("report exits 0 naming the file", p.returncode == 0 and out in p.stdout, p.stderr)
        page = Page()
        with open(out, encoding="utf-8") as f:
            text = f.read()
        page.feed(text)
        pngs_ok = len(page.images) == 3
        for k, src in enumerate(page.images):
            pngs_ok &= src.startswith("data:image/png;base64,")
            path = os.path.join(tmp, "img%d.png" % k)
            with open(path, "wb") as g:
                g.write(base64.b64decode(src.split(",", 1)[1], validate=True))
            rgb, _ = read_png(path)
            pngs_ok &= rgb.shape[0] > 50 and rgb.shape[1] > 50 and rgb.std() > 0
        check("three embedded PNGs (ROC, hotspots, maps) that decode and are not blank", pngs_ok, len(page.images))
        check("nothing points outside the file", page.links == [], page.links)
        e = run("eval", "--data", tensor, *forecasts, "--json")
        scores = {r["model"]: r for r in json.loads(e.stdout) if r["category"] == "all"} if e.returncode == 0 else {}
        table = {}
        for row in page.rows:  # the comparison table comes first; the paired one repeats the names
            if row and row[0] in scores and row[0] not in table:
                table[row[0]] = row
        same = len(table) == 2 and all(abs(float(table[m][2].split()[0]) - scores[m]["deviance"]) <= 1e-3 * abs(scores[m]["deviance"])
                                      for m in scores)
        check("the table's deviance is eval's for each model", same, (table, {m: scores[m]["deviance"] for m in scores}))
        check("the paired differences against persistence are there",
              "each model minus persistence" in text and "Better than persistence: negative for MSE" in text)
        paired = [row for row in page.rows if row and row[0] == "histavg-52" and len(row) > 2][-1:]  # the paired
        # table's row (the list of forecast files after it has two columns)
        vs = {r["model"]: r for r in json.loads(run("eval", "--data", tensor, *forecasts, "--versus", "persistence",
                                                    "--json").stdout) if r["category"] == "all"}.get("histavg-52", {})
        check("the paired table gives every compared figure: AUC and PAI@5% as eval --versus pairs them",
              paired and len(paired[0]) == 8 and vs and abs(float(paired[0][3].split()[0]) - vs["auc_vs"]) <= 1e-3 * (
                  1 + abs(vs["auc_vs"])) and abs(float(paired[0][6].split()[0]) - vs["pai@5_vs"]) <= 1e-3 * (
                  1 + abs(vs["pai@5_vs"])), (paired, {k: v for k, v in vs.items() if k.endswith("_vs")}))
        # each paired figure with an interval carries its verdict, worked out here from eval's interval
        want = []
        for column, key, lower_better in ((1, "mse", True), (2, "deviance", True), (3, "auc", False)):
            lo, hi = vs.get(key + "_vs_lo"), vs.get(key + "_vs_hi")
            if lo is None or hi is None:
                continue
            ahead = hi < 0 if lower_better else lo > 0
            behind = lo > 0 if lower_better else hi < 0
            want.append((column, "ahead" if ahead else "behind" if behind else "tie"))
        check("the paired figures with an interval say ahead, behind or tie, as their intervals do",
              paired and want and all(paired[0][c].split()[-1] == w for c, w in want), (paired, want))

        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if not chromium:
            print("skip: no chromium here (Debian: chromium) for the rendering check")
        else:
            shot = os.path.join(tmp, "shot.png")
            c = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                "--window-size=1100,1600", "--screenshot=" + shot, "--enable-logging=stderr",
                                "--v=0", "file://" + out], capture_output=True, text=True, timeout=120)
            failed = [l for l in c.stderr.splitlines() if "Failed to load resource" in l or "net::ERR" in l]
            rgb = read_png(shot)[0] if os.path.exists(shot) else np.zeros((1, 1, 3))
            check("headless Chromium renders it: no failed resource, a screenshot that is not blank",
                  c.returncode == 0 and not failed and rgb.shape[0] == 1600 and rgb.std() > 10, (failed, c.stderr[-500:]))

        bad = os.path.join(tmp, "bad.html")
        q = run("report", "--data", tensor, *forecasts, "--category", "arson", "--out", bad)
        check("an unknown category: exit 1 naming it and the tensor's, not eval's option, no file",
              q.returncode == 1 and "has no category 'arson' (it has: all" in q.stderr and "--roc-category" not in q.stderr
              and not os.path.exists(bad), q.stderr)
        missing = os.path.join(tmp, "nope.h5")
        q = run("report", "--data", tensor, forecasts[0], missing, "--out", bad)
        check("a missing forecast: exit 1 naming it and why, no file", q.returncode == 1 and missing in q.stderr
              and "No such file" in q.stderr and not os.path.exists(bad), q.stderr)
        model_grid_case(tmp, counts, mask, tensor, forecasts)
        category_missing_case(tmp, counts, mask, tensor, forecasts)
        common_bins_case(tmp, tensor, forecasts)
        crime_free_case(tmp, counts, mask, forecasts)
        many_maps_case(tmp, tensor, forecasts)
        standing_case(tmp, tensor, forecasts)
        notes_case(tmp, tensor, forecasts)
        small_area_case(tmp)
    return summary()


def notes_case(tmp, tensor, forecasts):
    """What eval says of the scores on stderr (a forecast's zeros under crimes, another
    horizon) is on the page too: it was said on the terminal alone, and a report read later
    or sent on lost it (found by a probe on 2026-12-06)."""
    ahead = os.path.join(tmp, "histavg_h2.h5")
    p = run("baseline", "--method", "histavg", "--horizon", "2", "--data", tensor, "--out", ahead)
    check("a histavg forecast 2 bins ahead", p.returncode == 0, p.stderr)
    out = os.path.join(tmp, "notes.html")
    p = run("report", "--data", tensor, forecasts[1], ahead, "--out", out)
    text = open(out, encoding="utf-8").read() if os.path.exists(out) else ""
    said = [line.split(": note: ", 1)[1] for line in p.stderr.splitlines() if ": note: " in line]
    items = [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", text)]
    check("report's notes on stderr (%d) are each an item of the page's 'Notes on the scores'" % len(said),
          p.returncode == 0 and "Notes on the scores" in text and items == said, (said, items))
    check("... among them persistence's zeros under crimes and the other horizon",
          any(i.startswith("persistence forecasts 0 in") for i in items)
          and any("forecasts 2 bin(s) ahead" in i for i in items), items)
    p = run("report", "--data", tensor, forecasts[0], "--out", out)
    text = open(out, encoding="utf-8").read() if p.returncode == 0 else "unread"
    check("a report with nothing to note has no notes section", "Notes on the scores" not in text
          and ": note: " not in p.stderr, p.stderr)


def small_area_case(tmp):
    """A study area of 138 cells, where eval's --topk 1% flags one cell (0.725%) and says
    so: the report, whose columns are @5% alone, carries no note of 1% (it did, on stderr
    and the page; a probe), while eval itself still says it."""
    rng = np.random.default_rng(11)
    counts = rng.poisson(2.0, size=(40, 1, 6, 23)).astype(np.float32)
    small = os.path.join(tmp, "small.h5")
    write_tensor(small, counts, np.ones((6, 23), np.uint8), ["all"])
    forecast = os.path.join(tmp, "small_histavg.h5")
    run("baseline", "--method", "histavg", "--data", small, "--out", forecast)
    e = run("eval", "--data", small, forecast)
    page = os.path.join(tmp, "small.html")
    p = run("report", "--data", small, forecast, "--out", page)
    text = open(page, encoding="utf-8").read() if p.returncode == 0 else ""
    check("138 cells: eval notes that --topk 1% flags 1 cell; report, of 5% columns, notes no --topk",
          e.returncode == 0 and "--topk 1% flags 1 of the study area's 138 cells" in e.stderr and p.returncode == 0
          and "--topk" not in p.stderr and "--topk" not in text and "hit@5%" in text, (e.stderr, p.stderr))


def standing_case(tmp, tensor, forecasts):
    """Where the ConvLSTM stands is said in words: here a 'convlstm' that is persistence
    renamed, behind the 52-week average on deviance by eval's own figures (the page gave
    both numbers and left the reader to see which is lower)."""
    import h5py
    convlstm = os.path.join(tmp, "convlstm.h5")
    shutil.copyfile(forecasts[1], convlstm)  # persistence
    with h5py.File(convlstm, "r+") as f:
        f.attrs["model"] = "convlstm"
    scores = {r["model"]: r["deviance"] for r in json.loads(run("eval", "--data", tensor, forecasts[0], convlstm,
                                                                "--json").stdout) if r["category"] == "all"}
    out = os.path.join(tmp, "standing.html")
    p = run("report", "--data", tensor, forecasts[0], convlstm, "--out", out)
    text = open(out).read() if p.returncode == 0 else ""
    word = "behind" if scores["convlstm"] > scores["histavg-52"] else "ahead of"
    check("the ConvLSTM's standing in words (%s the best baseline, by eval's deviances %.4f and %.4f)"
          % (word, scores["convlstm"], scores["histavg-52"]),
          "the ConvLSTM is %s it by the point estimates" % word in text, text[text.find("Mean Poisson"):][:300])
    check("... without an oracle among the forecasts, where one comes from (it said: 'it exists for a synthetic city "
          "only', of the synthetic city; found by a probe)", "no oracle among these forecasts (one exists for a "
          "synthetic city alone: synth --oracle writes it)" in text, text[text.find("Mean Poisson"):][:400])

    # Beside them an ST-ResNet (the 52-week average renamed: a network, not a baseline, however
    # good) and a convlstm-ae (the 52-week average made slightly worse): the sentence takes the
    # first ConvLSTM given, saying so (it took the best on the test span, a choice the
    # validation span should make; a probe), and the best baseline (the ST-ResNet was the
    # "best baseline" and the last ConvLSTM row won).
    renamed = {}
    for name, source, scale in (("st-resnet", forecasts[0], 1.0), ("convlstm-ae", forecasts[0], 1.05)):
        renamed[name] = os.path.join(tmp, name + ".h5")
        shutil.copyfile(source, renamed[name])
        with h5py.File(renamed[name], "r+") as f:
            f.attrs["model"] = name
            f["forecast"][...] = f["forecast"][...] * scale
    files = [convlstm, renamed["st-resnet"], renamed["convlstm-ae"], forecasts[1]]  # persistence beside
    scores = {r["model"]: r["deviance"] for r in json.loads(run("eval", "--data", tensor, *files, "--json").stdout)
              if r["category"] == "all"}
    first = "convlstm"  # the first of the two given
    baseline = min(("persistence",), key=lambda m: scores[m])
    out = os.path.join(tmp, "standing_kinds.html")
    p = run("report", "--data", tensor, *files, "--out", out)
    text = open(out).read() if p.returncode == 0 else ""
    sentence = text[text.find("Mean Poisson"):][:400]
    shown = ("ConvLSTM (%s, the first of the 2 ConvLSTM forecasts given: none is chosen on the span scored, so give "
             "first the one validation chose) %.4g" % (first, scores[first]))
    check("the standing takes the first ConvLSTM given (%s, %.4f; convlstm-ae %.4f), saying so, and a baseline, not "
          "the ST-ResNet (%.4f)" % (first, scores[first], scores["convlstm-ae"], scores["st-resnet"]),
          shown in sentence and "best baseline (%s) %.4g" % (baseline, scores[baseline]) in sentence, sentence)


def model_grid_case(tmp, counts, mask, tensor, forecasts):
    """--model: the training curve of a model of this grid is drawn; one trained on another
    grid (here 250 m cells, not 500 m) is refused, naming the difference (its curve was
    shown under another city's report)."""
    other = os.path.join(tmp, "other_grid.h5")
    write_tensor(other, counts, mask, ["all", "theft"], cell=250.0)
    for name, data in (("same", tensor), ("other", other)):
        p = run("train", "--data", data, "--window", "4", "--epochs", "1", "--hidden", "2", "--device", "cpu",
                "--out", os.path.join(tmp, name + "_model.h5"))
        check("train a tiny model on the %s grid" % name, p.returncode == 0, p.stderr)
    out = os.path.join(tmp, "with_model.html")
    p = run("report", "--data", tensor, *forecasts, "--model", os.path.join(tmp, "same_model.h5"), "--out", out)
    check("report --model of this grid: exit 0, a Training section", p.returncode == 0 and "Training" in open(out).read()
          if p.returncode == 0 else False, p.stderr)
    # the curve's title names the network and, for a seed ensemble, the member it shows (it
    # said 'ConvLSTM training' of every model; found by a probe)
    for what, extra, says in (("st-resnet", ["--model", "st-resnet", "--features", "2", "--trend", "0", "--batch", "2"],
                               "ST-ResNet training"),
                              ("ensemble", ["--window", "4", "--hidden", "2", "--seeds", "2"],
                               "ConvLSTM training, ensemble_model.h5 (poisson loss; best epoch 1; member 2 of 2, "
                               "seed 2)")):
        model = os.path.join(tmp, what + "_model.h5")
        p = run("train", "--data", tensor, "--epochs", "1", "--device", "cpu", *extra, "--out", model)
        page = os.path.join(tmp, what + ".html")
        q = run("report", "--data", tensor, *forecasts, "--model", model, "--out", page)
        titles = []
        if q.returncode == 0:
            for k, blob in enumerate(re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", open(page).read())):
                png = os.path.join(tmp, "%s_%d.png" % (what, k))
                with open(png, "wb") as f:
                    f.write(base64.b64decode(blob))
                titles.append(read_png(png)[1].get("Title", ""))
        check("report --model of a %s: the training curve's title says so (%s)" % (what, says), p.returncode == 0
              and any(says in t for t in titles), (p.stderr[-300:], q.stderr[-300:], titles))
    bad = os.path.join(tmp, "other_model.html")
    p = run("report", "--data", tensor, *forecasts, "--model", os.path.join(tmp, "other_model.h5"), "--out", bad)
    check("report --model of another grid: exit 1 naming it and the cell size, no file", p.returncode == 1
          and "a model of another grid than" in p.stderr and "250" in p.stderr and not os.path.exists(bad), p.stderr)
    check("... the model's grid first, the report's second (they were told the other way round)",
          re.search(r"cells of 250 m in [^,]*, not \d+ x \d+ of 500 m", p.stderr) is not None, p.stderr)
    fewer = os.path.join(tmp, "fewer_channels.h5")  # the same grid, channel 'all' alone
    write_tensor(fewer, counts[:, :1], mask, ["all"])
    p = run("train", "--data", fewer, "--window", "4", "--epochs", "1", "--hidden", "2", "--device", "cpu",
            "--out", os.path.join(tmp, "fewer_model.h5"))
    q = run("report", "--data", tensor, *forecasts, "--model", os.path.join(tmp, "fewer_model.h5"), "--out", bad)
    check("report --model of other channels on the same grid: exit 1 naming both lists, no file (its curve was drawn "
          "beside forecasts it made none of; a probe)", p.returncode == 0 and q.returncode == 1
          and "a model of other channels than" in q.stderr
          and "trained on 1 channel (all); this tensor has 2 (all, theft)" in q.stderr and not os.path.exists(bad),
          (p.stderr, q.stderr))
    import h5py
    elsewhere = os.path.join(tmp, "elsewhere.h5")  # the same grid, another city's name
    shutil.copyfile(tensor, elsewhere)
    with h5py.File(elsewhere, "r+") as f:
        f.attrs["city"] = "elsewhere"
    p = run("train", "--data", elsewhere, "--window", "4", "--epochs", "1", "--hidden", "2", "--device", "cpu",
            "--out", os.path.join(tmp, "elsewhere_model.h5"))
    check("train a tiny model of another city on the same grid", p.returncode == 0, p.stderr)
    p = run("report", "--data", tensor, *forecasts, "--model", os.path.join(tmp, "elsewhere_model.h5"), "--out", bad)
    check("report --model of another city on the same grid: exit 1 naming both cities, no file (it was drawn)",
          p.returncode == 1 and "a model of city 'elsewhere', not of" in p.stderr and not os.path.exists(bad), p.stderr)


def category_missing_case(tmp, counts, mask, tensor, forecasts):
    """A forecast without the category shown: no map of it (another channel was drawn under
    the category's name, and set the colour scale), and the page says so."""
    only_all = os.path.join(tmp, "only_all.h5")
    write_tensor(only_all, counts[:, :1], mask, ["all"])
    lacking = os.path.join(tmp, "histavg_all_only.h5")
    p = run("baseline", "--method", "histavg", "--data", only_all, "--out", lacking)
    check("a forecast of 'all' alone", p.returncode == 0, p.stderr)
    out = os.path.join(tmp, "theft.html")
    p = run("report", "--data", tensor, forecasts[0], lacking, "--category", "theft", "--out", out)
    text = open(out, encoding="utf-8").read() if os.path.exists(out) else ""
    check("report --category theft with a forecast without theft: exit 0, and the page names it",
          p.returncode == 0 and "1 of them (%s) has no category 'theft'" % lacking in text
          and "no map of %s, which has no category 'theft'" % lacking in text, (p.stderr, text[-2000:]))
    out = os.path.join(tmp, "theft_versus.html")
    p = run("report", "--data", tensor, forecasts[0], lacking, "--category", "theft", "--versus",
            "histavg-52 (histavg_all_only.h5)", "--out", out)
    text = open(out, encoding="utf-8").read() if os.path.exists(out) else ""
    check("report --versus a model without the category shown: the page says so (its cells read '-' alone; found "
          "by a probe)", p.returncode == 0 and "histavg-52 (histavg_all_only.h5) has no channel 'theft'" in text,
          (p.stderr, text[-1500:]))


def common_bins_case(tmp, tensor, forecasts):
    """Forecasts of different bins: refused with a pointer to --common-bins, which report
    now takes (eval's message named an option report did not have)."""
    every = os.path.join(tmp, "histavg_all_bins.h5")
    p = run("baseline", "--method", "histavg", "--span", "all", "--data", tensor, "--out", every)
    check("a forecast of every bin", p.returncode == 0, p.stderr)
    out = os.path.join(tmp, "common.html")
    p = run("report", "--data", tensor, every, forecasts[1], "--out", out)
    check("forecasts of different bins: refused, pointing to --common-bins", p.returncode == 1
          and "--common-bins" in p.stderr and not os.path.exists(out), p.stderr)
    p = run("report", "--data", tensor, every, forecasts[1], "--common-bins", "--out", out)
    text = open(out, encoding="utf-8").read() if os.path.exists(out) else ""
    check("report --common-bins scores them on the bins both have", p.returncode == 0
          and "every forecast covers (--common-bins)" in text, p.stderr)


def crime_free_case(tmp, counts, mask, forecasts):
    """A category without crime over the forecast bins has no hotspot, so no ROC curve:
    the report comes out without that figure and says why (it failed, blaming the first
    forecast file); eval --roc still prints its table, then fails naming the tensor."""
    quiet = counts.copy()
    quiet[:, 1] = 0
    tensor = os.path.join(tmp, "no_theft.h5")
    write_tensor(tensor, quiet, mask, ["all", "theft"])
    out = os.path.join(tmp, "no_theft.html")
    p = run("report", "--data", tensor, *forecasts, "--category", "theft", "--out", out)
    page = Page()
    text = open(out, encoding="utf-8").read() if os.path.exists(out) else ""
    page.feed(text)
    check("report of a category without crime: exit 0, no ROC figure, the page says why",
          p.returncode == 0 and len(page.images) == 2 and "No ROC curve: no bin of category 'theft'" in text,
          (p.stderr, len(page.images)))
    roc = os.path.join(tmp, "no_theft_roc.png")
    p = run("eval", "--data", tensor, *forecasts, "--roc", roc, "--roc-category", "theft")
    check("eval --roc of a category without crime: the table, then exit 1 naming the tensor, no PNG",
          p.returncode == 1 and "category theft" in p.stdout and tensor in p.stderr and "no ROC curve" in p.stderr
          and not os.path.exists(roc), (p.stdout[-300:], p.stderr))


def many_maps_case(tmp, tensor, forecasts):
    """More forecasts than the maps drawn (five): the caption names those left out (they
    were dropped without a word)."""
    files = []
    for k in range(6):
        f = os.path.join(tmp, "kde%d.h5" % k)
        p = run("baseline", "--method", "kde", "--bandwidth", str(600 + 100 * k), "--data", tensor, "--out", f)
        check("kde forecast %d" % k, p.returncode == 0, p.stderr)
        files.append(f)
    out = os.path.join(tmp, "many.html")
    p = run("report", "--data", tensor, *forecasts, *files, "--out", out)
    text = open(out, encoding="utf-8").read() if os.path.exists(out) else ""
    undrawn = "the first 5 forecasts with the category drawn, not %s, %s, %s" % tuple(files[3:])
    check("report of 8 forecasts: the maps' caption names the three not drawn",
          p.returncode == 0 and undrawn in text, (p.stderr, re.findall("the first 5[^<]*", text)[:1]))
    # the hotspots' figure draws the same five: its caption said nothing of the rest (a
    # probe, 2026-12-07)
    hotspots = re.search(r"the cells each map flags with 5% of the study area[^<]*", text)
    check("... and so does the hotspots' caption", hotspots is not None and undrawn in hotspots.group(0),
          hotspots.group(0) if hotspots else text[:300])
    # Which file each row is, with eval's names for them in the order given (two files of
    # one model were "convlstm #1" and "#2" with no file named anywhere; a probe, 2026-12-07)
    listed = re.findall(r"<tr><td>([^<]*)</td><td><code>([^<]*)</code></td></tr>", text)
    q = run("eval", "--data", tensor, "--json", *forecasts, *files)
    names = list(dict.fromkeys(r["model"] for r in json.loads(q.stdout))) if q.returncode == 0 else q.stderr
    check("the page lists each forecast's file beside its name in the rows", listed ==
          [(html.escape(n, quote=False), html.escape(f, quote=False)) for n, f in zip(names, [*forecasts, *files])]
          and len(listed) == 8, (listed, names))


if __name__ == "__main__":
    sys.exit(main())
