"""What one notebook teaches beyond the core library: its experiments and measures.

One module per notebook, named by the notebook's topic, the same name as its dashboard
(course_utils.widgets.<topic>) and its graders (course_utils.checks.<topic>):

    normalization  01_input_normalization: standardization, the two-feature cost
    gradients      02_vanishing_exploding_gradients: per-layer signal and gradient sizes
    activations    04_activation_functions: dead units, layer moments, activation cost
    optimizers     05_optimizers: 2-D test functions and optimizer paths on them
    gradcheck      08_gradient_checking: a hand-written backward pass with planted bugs
    capstone       11_capstone: the broken digits setting, its fixes, runs the doctor reads
    deeper         09 (deeper networks, shattered gradients): per-layer sizes at
                   initialization for residual and normalized nets, autocorrelation

and one shared by several notebooks:

    theory         02, 03, 04, 09: what the variance formulas predict (Gaussian
                   expectations), and the mean-field q*, chi_1 and depth scales

A lesson module imports the core library (and `theory`), never a dashboard or a grader.
"""

from . import activations, capstone, deeper, gradcheck, gradients, normalization, optimizers, shattered, theory

__all__ = ["activations", "capstone", "deeper", "gradcheck", "gradients", "normalization", "optimizers",
           "shattered", "theory"]
