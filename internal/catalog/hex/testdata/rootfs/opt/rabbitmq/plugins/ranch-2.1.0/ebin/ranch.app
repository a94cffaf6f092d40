{application, 'ranch', [
	{description, "Socket acceptor pool for TCP protocols."},
	{vsn, "2.1.0"},
	{modules, ['ranch','ranch_acceptor','ranch_app','ranch_server','ranch_sup','ranch_tcp','ranch_ssl']},
	{registered, [ranch_sup,ranch_server]},
	{applications, [kernel,stdlib,ssl]},
	{mod, {ranch_app, []}},
	{env, []}
]}.
