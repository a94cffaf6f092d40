{application, jiffy,
 [{description, "jiffy"},
  {vsn, "1.1.1"},
  {modules, []},
  {registered, []},
  {applications, [kernel, stdlib]},
  {env, []}]}.
