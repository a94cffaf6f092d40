{application, stdlib,
 [{description, "STDLIB"},
  {vsn, "5.2.3"},
  {modules, []},
  {registered, []},
  {applications, [kernel, stdlib]},
  {env, []}]}.
