"""The miniature mirror bundled for `tintinh demo` (data files; see site.toml)."""
