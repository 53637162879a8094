"""Go expressions typed by a debugger's user: ``lexer``, ``parser`` (the
syntax tree), ``evaluator`` (walks a tree over the value model,
:mod:`dapcore.govalues`), ``frame`` (an expression's value in a frame, for
the front ends)."""
