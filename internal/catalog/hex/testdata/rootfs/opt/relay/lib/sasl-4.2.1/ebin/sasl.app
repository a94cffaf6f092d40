{application, sasl,
 [{description, "SASL"},
  {vsn, "4.2.1"},
  {modules, []},
  {registered, []},
  {applications, [kernel, stdlib]},
  {env, []}]}.
