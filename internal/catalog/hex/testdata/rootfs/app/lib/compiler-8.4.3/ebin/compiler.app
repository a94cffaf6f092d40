%% This is an -*- erlang -*- file.
%%
%% %CopyrightBegin%
%%
%% SPDX-License-Identifier: Apache-2.0
%%
%% %CopyrightEnd%
%%
{application, compiler,
 [{description, "ERTS  CXC 138 10"},
  {vsn, "8.4.3"},
  {modules, []},
  {registered, []},
  {applications, [kernel, stdlib]},
  {env, []},
  {runtime_dependencies, ["erts-14.0"]}]}.
