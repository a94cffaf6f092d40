{application, 'cowboy', [
	{description, "Small, fast, modern HTTP server."},
	{vsn, "2.12.0"},
	{modules, ['cowboy','cowboy_app','cowboy_handler','cowboy_http','cowboy_req','cowboy_router','cowboy_stream']},
	{registered, [cowboy_sup,cowboy_clock]},
	{applications, [kernel,stdlib,crypto,cowlib,ranch]},
	{optional_applications, []},
	{mod, {cowboy_app, []}},
	{env, []}
]}.
