"""For plain `datasette archive.db --plugins-dir archive/datasette/plugins …`: the tintinh plugin
(`tintinh serve` registers archive.datasette.plugin itself, so an installed package needs no path)."""
from archive.datasette.plugin import (  # noqa: F401  (pluggy finds the hooks on this module)
    asgi_wrapper, menu_links, prepare_connection, register_routes, render_cell)
