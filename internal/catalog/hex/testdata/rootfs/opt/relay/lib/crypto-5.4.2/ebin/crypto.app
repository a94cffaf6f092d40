{application, crypto,
 [{description, "CRYPTO"},
  {vsn, "5.4.2"},
  {modules, []},
  {registered, []},
  {applications, [kernel, stdlib]},
  {env, []}]}.
