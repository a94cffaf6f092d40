{application, public_key,
 [{description, "PUBLIC_KEY"},
  {vsn, "1.15.1"},
  {modules, []},
  {registered, []},
  {applications, [kernel, stdlib]},
  {env, []}]}.
