{application, xmerl,
 [{description, "xmerl"},
  {vsn, "1.3.34"},
  {modules, []},
  {registered, []},
  {applications, [kernel, stdlib]},
  {env, []}]}.
