{application, ssl,
 [{description, "SSL"},
  {vsn, "11.1.4"},
  {modules, []},
  {registered, []},
  {applications, [kernel, stdlib]},
  {env, []}]}.
