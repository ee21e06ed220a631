"""Writes notebooks/09_deeper_networks.ipynb from the cells below (run from scripts/):

    ../.venv/bin/python build_09_deeper_networks.py
    ../.venv/bin/python execute_notebooks.py ../notebooks/09_deeper_networks.ipynb

The stored results it reads come first: scripts/sweep_deeper.py (map plain, map residual,
bracket, runs) -> data/deeper_map.json, data/deeper_runs.json. The stated reading time is
measured by reading_time.py after writing, and written in."""
import pathlib
import re
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from nbbuild import code, md, write  # noqa: E402
from reading_time import reading_minutes  # noqa: E402

PATH = pathlib.Path(__file__).parents[1] / "notebooks" / "09_deeper_networks.ipynb"


def cells(minutes):
    return [
md(f"""
# 9 · Deeper networks: the map of what trains, residual connections, layer norm and warmup

Notebooks 01-08 explain why plain networks of up to about a dozen layers train or fail.
Real networks have 50 or 100 layers. This notebook shows what lets them, on the same small
numpy networks and the digits: first a **map** of which depths and weight scales a plain
network trains at, with the mean-field theory that predicts its edge (Poole et al. 2016;
Schoenholz et al. 2017, "Deep information propagation"); then the three tools every deep
network of today uses: **residual connections**, **layer norm** and **learning-rate warmup**.

**After this notebook you can:**

- **Predict** from χ₁, the per-layer factor of mean-field theory, whether a plain network at
  a given weight scale is ordered or chaotic and about how deep it trains (section 1,
  exercise 2).
- **Explain** why a residual connection keeps the gradient alive at depth 50, and why its
  branch must be scaled down or normalized (section 2, exercise 3).
- **Compare** layer norm with batch norm at small batches and in evaluation mode, and
  pre-norm with post-norm (section 3, exercise 1).
- **Measure** Adam's first update sizes with and without warmup, and judge whether warmup
  rescues a run or only improves it (section 4).

**It assumes:** [02 · Vanishing and exploding gradients](02_vanishing_exploding_gradients.ipynb),
[03 · Initialization](03_initialization.ipynb), [05 · Optimizers](05_optimizers.ipynb) (Adam)
and [06 · Batch normalization](06_batch_normalization.ipynb). Math: variance of a sum and a
product; the chain rule for a product of Jacobians; $\\ln$ and exponential decay.

**Reading time:** about {minutes} minutes, measured by `scripts/reading_time.py` (prose at 150
words and code at 20 lines a minute). Run the cells from top to bottom (about 15 s in all);
the dashboard and the exercises add time of their own.

**Contents**
1. The map of what trains (plain networks, mean-field theory)
2. Residual connections: the identity adds 1 to the Jacobian
3. Layer norm beside batch norm; pre-norm and post-norm
4. Warmup: Adam's first steps
5. GELU and SiLU
6. Try it: the deeper-networks dashboard
7. What this course covers, and what it leaves out
8. Check yourself
"""),
code("""
import numpy as np
import matplotlib.pyplot as plt
import course_utils as cu
from course_utils.lessons import theory, deeper

X, Y, X_test, Y_test = cu.datasets.load_digits()
the_map = cu.datasets.load_sweep("deeper_map")
runs = cu.datasets.load_sweep("deeper_runs")
print(f"digits: {X.shape[1]} training images of {X.shape[0]} pixels, {X_test.shape[1]} test, 10 classes")
"""),
md("""
## 1 · The map of what trains

**The question.** For which depths and weight scales does a plain network train at all?

**The idea.** Draw every $W_l$ from $N(0, \\sigma_w^2/n_{l-1})$ and every bias from
$N(0, \\sigma_b^2)$ ($\\sigma_w^2 = 2$ is He's scale, 1 LeCun's). Mean-field theory, the
picture of 02 and 03 made exact for wide layers, follows the pre-activations' variance $q$ to
its fixed point $q^*$, and one factor per layer,

$$\\chi_1 = \\sigma_w^2\\, E[f'(z)^2], \\qquad z \\sim N(0, q^*):$$

a small difference between two inputs, and the gradient's mean square, are multiplied by
$\\chi_1$ at every layer. $\\chi_1 < 1$ (**ordered**): they shrink; $\\chi_1 > 1$ (**chaotic**):
they grow; $\\chi_1 = 1$ is the **edge of chaos**. The gradient's mean square changes $e$-fold
over $\\xi = -1/\\ln\\chi_1$ layers. Schoenholz et al. found that tanh networks train up to
about $6\\xi_c$ layers, $\\xi_c$ being the depth over which the correlation of two inputs
settles. In the ordered phase $\\xi_c = \\xi$; in the chaotic phase $\\xi_c$ is longer (tanh at
$\\sigma_w^2 = 4$: $6\\xi_c \\approx 42$, $6|\\xi| \\approx 20$). We use $6|\\xi|$, the gradient's
scale, which is defined for ReLU too: drawn on the map, it is our reading, not the paper's line.
"""),
code("""
print(f"tanh at He's scale (σ_w² = 2, σ_b² = 0): χ₁ = {theory.chi_1('tanh', 2.0, 0.0):.3f}")
for act, s in (("relu", 2.0), ("tanh", 1.0), ("tanh", 2.0), ("sigmoid", 4.0), ("sigmoid", 16.0)):
    mf = theory.mean_field(act, s, deeper.MAP_SIGMA_B2)
    depth = "any depth" if np.isinf(mf.xi_grad) else f"6ξ ≈ {6 * abs(mf.xi_grad):.2g} layers"
    print(f"{act:8s} σ_w² = {s:>4g}, σ_b² = 0.05: χ₁ = {mf.chi_1:.2f}, {mf.phase}, {depth}")
"""),
md("""
ReLU at He's scale sits exactly on the edge ($\\chi_1 = \\sigma_w^2/2 = 1$): that is why He's
initialization keeps the signal's size at any depth. Tanh at He's scale is slightly chaotic; the sigmoid, whose
slope is at most 1/4, is ordered even at $\\sigma_w^2 = 16$ (Xavier × 4 in 02's terms), where
$6\\xi \\approx 6.5$ layers.

**The experiment** (stored: `scripts/sweep_deeper.py map`, about 4 minutes). Plain tanh, ReLU
and sigmoid networks with 2 to 64 hidden layers of 32 units on the digits, $\\sigma_b^2 = 0.05$
(Schoenholz et al.'s setting), $\\sigma_w^2$ from 0.5 to 16, each trained by the same short
run: SGD, batches of 64, 100 steps. **The budget limits the map**: three learning rates per
cell (a factor $\\sqrt{10}$ apart, centred on where that depth's best rate lies) with seed 0,
then seed 1 at the best of the three; the colour is the mean training accuracy of the two.
A cell at chance might train with more steps or a rate outside the grid.
"""),
code("""
def draw_map(ax, kind, act):
    sig, dep, acc = deeper.map_grid(the_map, kind, act)
    im = ax.imshow(acc, origin="lower", aspect="auto", vmin=0.1, vmax=1, cmap="viridis",
                   extent=(-0.5, len(sig) - 0.5, -0.5, len(dep) - 0.5))
    if kind == "plain":  # the mean-field depth scale 6ξ, drawn where it falls on the map
        fine = np.geomspace(sig[0], sig[-1], 80)
        xi = np.array([abs(theory.mean_field(act, s, deeper.MAP_SIGMA_B2).xi_grad) for s in fine])
        x = np.interp(np.log(fine), np.log(sig), np.arange(len(sig)))
        y = np.interp(np.log2(np.clip(6 * xi, 1, 1e3)), np.log2(dep), np.arange(len(dep)))
        ax.plot(x, y, "w--", lw=1.5, label="6ξ (mean field)")
    ax.set_xticks(range(len(sig)), [f"{s:g}" for s in sig], fontsize=8)
    ax.set_yticks(range(len(dep)), dep)
    ax.set(xlabel="σ_w² (log spacing)", ylabel="hidden layers", title=f"{kind} {act}")
    return im

fig, axes = plt.subplots(1, 3, figsize=(14, 3.8), gridspec_kw={"wspace": 0.3})
for ax, act in zip(axes, ("tanh", "relu", "sigmoid")):
    im = draw_map(ax, "plain", act)
axes[0].legend(loc="upper right", fontsize=8, framealpha=0.6)
fig.colorbar(im, ax=axes, label="training accuracy (chance 0.1)")
plt.show()
"""),
code("""
def deepest_line(kind, act):
    sig = the_map["settings"]["sigma_w2"]
    deepest = {s: deeper.deepest_trained(the_map, kind, act, s) for s in sig}
    best = max(deepest.values())
    at = [f"{s:g}" for s in sig if deepest[s] == best]
    return best, at, deepest

print(f"'trains': mean training accuracy >= {deeper.TRAINED} at every depth up to that one")
for act in ("tanh", "relu", "sigmoid"):
    best, at, deepest = deepest_line("plain", act)
    print(f"plain {act:8s} trains deepest ({best} layers) at σ_w² = {', '.join(at)}")
print(f"sigmoid at σ_w² = 16 (Xavier x4) trains up to {deepest_line('plain', 'sigmoid')[2][16.0]} layers")
"""),
md("""
**Theory against the map.** For each $\\sigma_w^2$, the deepest depth that trains beside the
mean-field scale $6\\xi$ (ReLU at $\\sigma_w^2 = 2$ has $\\xi = \\infty$ and is left out):
"""),
code("""
ratios = []
for act in ("tanh", "relu", "sigmoid"):
    row = []
    for s in the_map["settings"]["sigma_w2"]:
        six_xi = 6 * abs(theory.mean_field(act, s, deeper.MAP_SIGMA_B2).xi_grad)
        deepest = deeper.deepest_trained(the_map, "plain", act, s)
        row.append(f"{s:g}: {deepest}/{six_xi:.2g}" if np.isfinite(six_xi) else f"{s:g}: {deepest}/∞")
        if np.isfinite(six_xi):
            ratios.append(deepest / six_xi)
    print(f"{act:8s}(σ_w²: deepest/6ξ) " + ", ".join(row))
print(f"no cell trains deeper than 6ξ: {max(ratios) <= 1} (the closest: deepest/6ξ = {max(ratios):.2f})")
"""),
code("""
cells = [c for c in the_map["cells"] if c["kind"] == "plain"]
edge = sum(c["best_lr"] in (c["rates"][0], c["rates"][-1]) for c in cells
           if max(np.nan_to_num(c["acc_by_lr"])) >= deeper.TRAINED)
trained = sum(max(np.nan_to_num(c["acc_by_lr"])) >= deeper.TRAINED for c in cells)
print(f"cells that train: best rate at an end of the 3-rate grid in {edge} of {trained}")
beaten = [b for b in the_map["bracket"] if b["outside_best"] > b["grid_best"] + 0.05]
print(f"bracket check on {len(the_map['bracket'])} sample cells (one rate beyond each end of the grid): "
      f"a rate outside the grid did better by > 0.05 in {len(beaten)}")
for b in beaten:
    print(f"  {b['kind']} {b['activation']} {b['depth']} layers σ_w² {b['sigma_w2']:g}: "
          f"{b['grid_best']:.2f} in the grid, {b['outside_best']:.2f} outside")
"""),
md("""
**What to notice**

- In this budget no cell trains deeper than $6|\\xi|$, and the trainable depth falls with it
  on both sides of the edge. That does not test the bound: 100 steps keep most cells far
  inside it (tanh at $\\sigma_w^2 = 2$: 16 layers against about 130), and the paper's bound is
  for long training, where the trainable depth grows. Tanh trains deepest (16 layers) at $\\sigma_w^2$ = 1.41, 2 and 4,
  around its critical point ($\\chi_1 = 1$ at $\\sigma_w^2$ a little below 2 with $\\sigma_b^2 = 0.05$;
  exercise 2 finds it).
- ReLU at He's scale sits on the edge, yet the short run trains it only to 4 layers (0.41
  at 8). That is the budget, not He's scale: 02, with 660 steps, trained ReLU at He's scale
  to 12 layers (less reliably past 9), and He's is the right start for ReLU (03). The theory
  says the signal *can* cross any depth; it does not say 100 SGD steps suffice.
  Above 2 its activations grow by $(\\sigma_w^2/2)^{1/2}$ per layer and the deep runs overflow
  (diverged: drawn as 0).
- The sigmoid is ordered on the whole grid and never trains deep. At $\\sigma_w^2 = 16$
  (Xavier × 4) theory says about 6.5 layers and the map trains at 4 and not at 8: the story
  of 02 and 04, where sigmoid networks at Xavier × 4 train to about 6 layers and collapse
  near 8. At Xavier × 1 ($\\sigma_w^2 = 1$ on equal widths) the map trains only 2 layers; 02,
  with six times more steps, found the sigmoid at chance from 8 layers, tanh (Xavier)
  training at 12 and ReLU (He) at 12 less well: the same order as here.
- **The budget limits the map.** One short run per cell; "does not train" means "not in 100
  SGD steps at these three rates". The best rate lay at an end of the grid in about 2 of 5
  cells; on 8 sample cells the rates beyond the grid helped in 1 (printed above).
"""),
md("""
## 2 · Residual connections: the identity adds 1 to the Jacobian

A residual layer computes $A_l = A_{l-1} + s\\,f(W_l A_{l-1} + b_l)$ on layers of equal width.
Its Jacobian is

$$\\frac{\\partial A_l}{\\partial A_{l-1}} = I + s\\,\\mathrm{diag}(f'(Z_l))\\,W_l,$$

so the gradient reaching layer 1 is a product of $(I + \\text{small})$ factors instead of a
product of $W$'s: it has a path that never shrinks. The price: each block *adds* its branch,
so without a small $s$ the activations' variance grows with depth. With ReLU at He's scale
each branch has at least the variance of its input, so $\\mathrm{Var}(A_l)$ at least doubles per
layer (more: the sums of ReLU outputs also drift away from 0).
"""),
code("""
depth = 50
variants = {"plain": {}, "residual, branch 1": {"residual": True},
            "residual, branch 1/√50": {"residual": True, "branch_scale": 1 / np.sqrt(depth)},
            "residual, pre-norm (LN)": {"residual": True, "layer_norm": True, "norm_position": "pre"}}
fig, axes = plt.subplots(1, 2, figsize=(12, 3.6))
for name, options in variants.items():
    spec = cu.Spec((64,) + (32,) * depth + (10,), "relu", output="softmax", **options)
    sizes = deeper.layer_sizes_at_init(spec, cu.init_params(spec, "he_normal", rng=0), X, Y)
    axes[0].semilogy(np.arange(1, depth + 2), sizes.dW_norm, label=name)
    axes[1].semilogy(np.arange(1, depth + 1), sizes.a_rms, label=name)
    print(f"{name:25s} rms(A_50) ~ {sizes.a_rms[-1]:.0e}; ‖dW_1‖ / ‖dW_51‖ ~ {sizes.dW_norm[0] / sizes.dW_norm[-1]:.0e}")
axes[0].set(xlabel="layer", ylabel="‖dW_l‖ at the start", title="the gradient reaching each layer")
axes[1].set(xlabel="layer", ylabel="rms of A_l", title="the size of the activations")
axes[1].legend(fontsize=8)
fig.tight_layout()
plt.show()
"""),
md("""
At He's scale the plain net's gradient does *not* vanish at the start: layer 1 gets about
as much as the output layer (He's initialization does its job). The unscaled residual net's
activations grow geometrically, to about $10^{10}$ at layer 50; a branch scaled by
$1/\\sqrt{L}$, or normalized before it (pre-norm), keeps them within a factor of 100.
Training each at its best rate (stored: `scripts/sweep_deeper.py runs`; SGD, batches of 64,
150 steps, 5 rates, seeds 0-1 to choose the rate, then seed 2):
"""),
code("""
def summary(r, key="train_acc"):
    \"\"\"Mean (min-max) accuracy of the 3 seeds at the best rate, a diverged run counted as 0.\"\"\"
    accs = np.nan_to_num(np.array([np.nan if run[key] is None else run[key] for run in r["best_runs"]], dtype=float))
    diverged = sum(run["verdict"] == "diverged" for run in r["best_runs"])
    return f"{accs.mean():.2f} ({accs.min():.2f}-{accs.max():.2f})" + (f", {diverged} of 3 diverged" if diverged else "")

for name, r in runs["residual"].items():
    print(f"{name:28s} best lr {r['best_lr']:<6g} training accuracy {summary(r)}")
"""),
md("""
At depth 50 and this budget the plain net stays close to chance (0.20; chance is 0.1), the unscaled residual net
diverges at every rate tried (0.0032 to 0.32), the scaled branch trains a little, and the normalized residual nets
train best. Deep plain ReLU nets fail for a reason other than the gradient's size at the
start: 10 (shattered gradients) shows it.

On the map, residual ReLU nets (branch $1/\\sqrt{\\text{depth}}$, same short run) beside the plain ones:
"""),
code("""
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"wspace": 0.3})
for ax, kind in zip(axes, ("plain", "residual")):
    im = draw_map(ax, kind, "relu")
fig.colorbar(im, ax=axes, label="training accuracy (chance 0.1)")
plt.show()
sig = the_map["settings"]["sigma_w2"]
for kind in ("plain", "residual"):
    trainable = sum(deeper.map_grid(the_map, kind, "relu")[2].ravel() >= deeper.TRAINED)
    print(f"{kind:8s} ReLU: {trainable} of {len(sig) * len(the_map['settings']['depths'])} cells train; "
          f"deepest {deepest_line(kind, 'relu')[0]} layers")
"""),
md("""
The residual map trains in far more cells, down to 64 layers at small $\\sigma_w^2$ where the
branches are small and each block is close to the identity. At He's scale and above, 64
residual layers do not train in 100 SGD steps; the normalized residual nets of the runs
above do better at depth 50.

## 3 · Layer norm beside batch norm; pre-norm and post-norm

**Layer norm** normalizes each example over its units, $\\hat a = (a - \\mu)/\\sqrt{\\sigma^2 + \\epsilon}$
with $\\mu, \\sigma^2$ over the units of that example, then $\\gamma \\hat a + \\beta$: no batch
enters, so it computes the same thing in training and evaluation. Batch norm (06) normalizes
each unit over the batch: at a batch of 2 its statistics are two examples', and evaluation
uses running averages that differ from what training saw. A 6-layer ReLU net, each at its
best rate (SGD, 300 steps, 4 rates, 3 seeds), test accuracy in evaluation mode:
"""),
code("""
for key, r in runs["norms"].items():
    norm, batch = key.split()
    print(f"{norm:5s} norm, batch {batch:>2s}: best lr {r['best_lr']:<5g} test accuracy {summary(r, 'test_acc')}")
"""),
md("""
At a batch of 2 batch norm stays at chance, where layer norm reaches about half; at 64 the
two are alike. Are the running averages to blame? Normalize the test set with its own
statistics instead (450 images, training mode), after the same training at batch 2 (seed 0,
its best rate):
"""),
code("""
spec = cu.Spec((64,) + (32,) * 6 + (10,), "relu", output="softmax", batch_norm=True)
hist = cu.train(spec, cu.init_params(spec, "he_normal", np.random.default_rng(0)), X, Y,
                cu.optimizers.sgd(runs["norms"]["batch 2"]["best_lr"]), steps=300, batch_size=2,
                rng=1000, progress=False)
Z_L, _ = cu.network.forward(spec, hist.params, X_test, hist.state, train=True)
acc = cu.network.accuracy_from_logits(spec, Z_L, Y_test)
print(f"batch norm trained at batch 2, test set normalized with its own statistics: "
      f"{'at chance (below 0.25)' if acc < 0.25 else 'off chance'}")
"""),
md("""
Still at chance: the running averages are not the problem, training at a batch of 2 is.
Normalizing two numbers over their mean and spread gives $\\pm 1$ (up to $\\epsilon$), so every
unit passes on only which of the two examples is larger. Layer norm normalizes over 32 units,
whatever the batch.


**Pre-norm or post-norm.** Post-norm (the original transformer) normalizes after the
addition, $A_l = \\mathrm{LN}(A_{l-1} + f(A_{l-1}))$: the identity path passes through 50
normalizations. Pre-norm (today's transformers) normalizes the branch's input only,
$A_l = A_{l-1} + f(\\mathrm{LN}(A_{l-1}))$: the identity path stays clean. Both at depth 50,
from section 2's runs:
"""),
code("""
for name in ("residual, pre-norm (LN)", "residual, post-norm (LN)"):
    r = runs["residual"][name]
    print(f"{name:26s} best lr {r['best_lr']:<6g} training accuracy {summary(r)}")
"""),
md("""
At 50 layers and 150 SGD steps the two end level; post-norm takes a rate ten times
higher. The difference that made transformers move to pre-norm (post-norm needs warmup to
train at all at large depth, Xiong et al. 2020) did not show in this small setting.
"""),
md("""
## 4 · Warmup: Adam's first steps

At step 1 Adam's second-moment estimate rests on one gradient: $\\hat m/\\sqrt{\\hat v} = \\pm 1$
in every coordinate, so every weight moves by the full rate whatever its gradient. A linear
warmup (`cu.optimizers.linear_warmup(lr, W)`: the rate $lr\\,(t+1)/W$ for the first $W$
steps) keeps those first steps small until $\\hat v$ averages many gradients. A 50-layer
pre-norm residual ReLU net, Adam, 200 steps, 3 seeds, with no warmup and with 100 warmup
steps; the update:weight ratio is $\\lVert\\Delta W\\rVert/\\lVert W\\rVert$ at step 1, median over the
hidden layers:
"""),
code("""
def warmup_line(r):
    accs = np.nan_to_num([np.nan if run["train_acc"] is None else run["train_acc"] for run in r["runs"]])
    verdicts = [run["verdict"] for run in r["runs"]]
    return (f"Adam lr {r['lr']:<4g} warmup {r['warmup']:>3d}: update/weight at step 1 ~ {r['update_ratio'][0]:.0e}; "
            f"training accuracy {accs.mean():.2f} ({accs.min():.2f}-{accs.max():.2f}); "
            f"{sum(v in ('blew up', 'diverged') for v in verdicts)} of {len(verdicts)} blew up")

for r in runs["warmup"].values():
    print(warmup_line(r))
"""),
md("""
Without warmup the first update moves the weights by 10% to 100% of their size (at lr
0.03 to 0.3); with 100 warmup steps, by 1% or less. **Warmup did not rescue a run in this
grid** from a blow-up: no rate made the runs without warmup blow up while the warmed-up ones
survived (at lr 1 both blow up, on every seed). It did rescue the *accuracy* at lr 0.1 and
0.3: there every seed without warmup ended at 0.24-0.47 training accuracy and every seed with
it at 0.86-0.97. The large first steps damage the network without making it diverge. The
best run without warmup (0.89 at lr 0.03) is matched with warmup at every rate up to 0.3:
warmup made the run ten times less sensitive to a too-high rate.
"""),
md("""
## 5 · GELU and SiLU

The activations of today's transformers are smooth ReLUs: GELU$(z) = z\\,\\Phi(z)$ ($\\Phi$ the
normal distribution function) and SiLU$(z) = z\\,\\sigma(z)$. Both dip slightly below 0 for
$z < 0$ and have slope 1/2 at 0; in the registry as `"gelu"` and `"silu"`.
"""),
code("""
z = np.linspace(-4, 4, 400)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
for name in ("relu", "gelu", "silu"):
    act = cu.activations.get(name)
    axes[0].plot(z, act.forward(z), label=name)
    axes[1].plot(z, act.derivative(z), label=name)
axes[0].set(xlabel="z", ylabel="f(z)", title="the activations")
axes[1].set(xlabel="z", ylabel="f'(z)", title="their slopes")
axes[0].legend()
fig.tight_layout()
plt.show()
for key, r in runs["activations"].items():
    act, depth = key.split()
    print(f"{act:4s} {depth:>2s} layers (He init, SGD): best lr {r['best_lr']:<5g} test accuracy {summary(r, 'test_acc')}")
"""),
md("""
At 8 layers the three are within each other's seed spread. At 20 layers with He's
initialization GELU and SiLU stay near chance where ReLU learns a little. That is not a fair
comparison at depth: He's scale is ReLU's. GELU and SiLU keep less of the signal's mean square
(at He's scale about 0.85 and 0.71 of it per layer for a unit-variance input), so it fades with
depth; these runs do not show that they train worse at their own scale. What makes them popular is large transformers (with pre-norm and residual
connections), not trainability at depth.

## 6 · Try it: the deeper-networks dashboard

Depth, residual on or off, the norm, $\\sigma_w^2$ and the warmup. Each setting trains a
small ReLU net briefly (Adam, 20 steps on 64 digits) and shows the cost, the gradient reaching each layer
at the start, and where the setting sits on section 1's map. Try depth 64 at $\\sigma_w^2 = 4$
(plain), then turn residual on, then layer norm: the first two stay at chance in 20 steps,
the third learns.
"""),
code("""
dashboard = cu.widgets.deeper_dashboard()
dashboard
"""),
md("""
## 7 · What this course covers, and what it leaves out

The course stays with fully connected networks and the optimizers of 05. **Convolutions**
share weights across the positions of an image (d2l.ai, chapter 7); **attention** lets every
position of a sequence read every other one (Vaswani et al. 2017, "Attention is all you
need"); **mixed precision** trains in 16-bit floats with a loss scale (Micikevicius et al.
2018). Residual connections, layer norm, warmup and GELU, shown here, are what all three are
built on.

## 8 · Check yourself

**Exercise 1: layer norm's backward pass.** Write `layernorm_backward(dout, X, gamma)`
returning `(dX, dgamma, dbeta)` for out $= \\gamma \\hat X + \\beta$, $\\hat X$ normalized over
the units (rows) of each example (column), $\\epsilon$ = `cu.layers.LN_EPS`. X is (n, m);
gamma (n, 1).
"""),
code("""
def layernorm_backward(dout, X, gamma):
    # YOUR CODE HERE: return (dX, dgamma, dbeta)
    return None

cu.checks.layernorm_backward(layernorm_backward)
"""),
md("""
**Exercise 2: the critical weight scale of tanh.** With $\\sigma_b^2 = 0.05$, which $\\sigma_w^2$
makes $\\chi_1 = 1$? `theory.chi_1("tanh", sigma_w2, 0.05)` computes $\\chi_1$; find where it
crosses 1 (e.g. by bisection between 1 and 4).
"""),
code("""
sigma_w2_critical = None  # YOUR ANSWER: a number

cu.checks.critical_sigma_w2(sigma_w2_critical)
"""),
md("""
**Exercise 3: a residual block's backward pass.** For $A = A_{prev} + s\\,\\mathrm{relu}(W A_{prev} + b)$,
write `residual_backward(dA, A_prev, W, b, s)` returning `(dA_prev, dW, db)` (shapes of
A_prev, W, b; summed over the examples, not averaged).
"""),
code("""
def residual_backward(dA, A_prev, W, b, s):
    # YOUR CODE HERE: return (dA_prev, dW, db)
    return None

cu.checks.residual_backward(residual_backward)
"""),
md("""
<details><summary>Solutions (for teachers, or after you tried)</summary>

```python
def layernorm_backward(dout, X, gamma):
    inv_std = 1 / np.sqrt(X.var(axis=0, keepdims=True) + cu.layers.LN_EPS)
    X_hat = (X - X.mean(axis=0, keepdims=True)) * inv_std
    dX_hat = gamma * dout
    dX = inv_std * (dX_hat - dX_hat.mean(axis=0) - X_hat * (dX_hat * X_hat).mean(axis=0))
    return dX, np.sum(dout * X_hat, axis=1, keepdims=True), np.sum(dout, axis=1, keepdims=True)

from scipy.optimize import brentq
sigma_w2_critical = brentq(lambda s: theory.chi_1("tanh", s, 0.05) - 1, 1, 4)   # 1.76

def residual_backward(dA, A_prev, W, b, s):
    dZ = s * dA * (W @ A_prev + b > 0)
    return W.T @ dZ + dA, dZ @ A_prev.T, dZ.sum(axis=1, keepdims=True)
```
</details>

## Summary

- Mean-field theory gives one number per setting, $\\chi_1 = \\sigma_w^2 E[f'(z)^2]$: below 1 the
  signal and gradient die over $\\xi = -1/\\ln\\chi_1$ layers, above 1 they explode. Plain
  networks train deepest at $\\chi_1 \\approx 1$: ReLU at He's scale, tanh near its critical
  point; the sigmoid is ordered everywhere and stays shallow, as in 02 and 04.
- A residual connection adds $I$ to every layer's Jacobian, so the gradient reaches layer 1 at
  depth 50; its branch must be scaled down ($1/\\sqrt{L}$) or normalized (pre-norm), or the
  activations grow with depth.
- Layer norm normalizes each example on its own: no batch size and no train/evaluation gap.
- Adam's first steps have the full rate in every coordinate; warmup keeps them small.
"""),
    ]


def build():
    minutes = 30
    for _ in range(3):
        write(PATH, cells(minutes))
        measured = reading_minutes(PATH)
        if measured == minutes:
            break
        minutes = measured
    print(f"wrote {PATH} (reading time {minutes} minutes)")


if __name__ == "__main__":
    build()
