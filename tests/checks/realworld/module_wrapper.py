"""The recipe for code with no class (docs/compare.md): a small class around the module."""

import module_functions  # the weights and the functions, as they are


class Wrapped:
    """The shape net221-compare takes, around module-level code."""

    def __getattr__(self, name):  # w1 ... b3: the module's own values, read when asked
        if name in module_functions.params:
            return module_functions.params[name]
        raise AttributeError(name)

    def feedforward(self, x):
        return module_functions.feedforward(module_functions.params, x)

    def train(self, data, all_y_trues):
        module_functions.train(module_functions.params, data, all_y_trues)
