{application, syntax_tools,
 [{description, "SYNTAX_TOOLS"},
  {vsn, "3.1"},
  {modules, []},
  {registered, []},
  {applications, [kernel, stdlib]},
  {env, []}]}.
