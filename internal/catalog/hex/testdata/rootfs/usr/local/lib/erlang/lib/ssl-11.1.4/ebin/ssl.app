{application, ssl,
 [{description, "ssl"},
  {vsn, "11.1.4"},
  {modules, []},
  {registered, []},
  {applications, [kernel, stdlib]},
  {env, []}]}.
