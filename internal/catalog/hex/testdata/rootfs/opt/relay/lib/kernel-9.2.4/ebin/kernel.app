{application, kernel,
 [{description, "KERNEL"},
  {vsn, "9.2.4"},
  {modules, []},
  {registered, []},
  {applications, [kernel, stdlib]},
  {env, []}]}.
