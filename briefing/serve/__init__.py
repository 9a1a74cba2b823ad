"""``briefing serve``: a local web app over one index (:mod:`.app` routes, :mod:`.reader` read sessions,
:mod:`.views` what pages show, :mod:`.run` the server)."""
