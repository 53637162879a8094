"""What a Go executable says about itself, without the core: ``buildinfo``
(Go release, module, build settings), ``moduledata``, ``pclntab`` (function
names, files, lines and frame sizes in all four table formats; the
function-name rules such as ``package_of``), ``pcvalue`` (pc-value tables),
``inline`` (inline trees), ``funcid``, ``releases`` (which Go releases are
read), ``identity`` (whether a core was dumped by this executable), and
``symbols`` (the runtime globals of a stripped binary, found in its
code)."""
