{application, compiler,
 [{description, "COMPILER"},
  {vsn, "8.4.3"},
  {modules, []},
  {registered, []},
  {applications, [kernel, stdlib]},
  {env, []}]}.
