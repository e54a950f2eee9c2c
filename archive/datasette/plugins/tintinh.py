"""For plain `datasette any.db --plugins-dir archive/datasette/plugins`: the tintinh plugin.

Its hooks come from archive.datasette.plugin (which gives every archive served the metadata of
archive/datasette/metadata.yml, whatever the file is called); its templates (the article page,
the search page) from the archive.datasette package, registered here so datasette finds them.
`tintinh serve` registers both itself (archive.serve.register_plugin), so an installed package
needs no path.
"""
import archive.datasette
from archive.datasette.plugin import (  # noqa: F401  (pluggy finds the hooks on this module)
    asgi_wrapper, extra_template_vars, get_metadata, menu_links, prepare_connection,
    register_magic_parameters, register_routes, render_cell, startup)
from datasette.plugins import pm

if not pm.is_registered(archive.datasette):
    pm.register(archive.datasette, name="tintinh-templates")
