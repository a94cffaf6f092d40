%% This is an -*- erlang -*- file.
%%
%% %CopyrightBegin%
%%
%% SPDX-License-Identifier: Apache-2.0
%%
%% %CopyrightEnd%
%%
{application, os_mon,
 [{description, "CPO  CXC 138 46"},
  {vsn, "2.9.1"},
  {modules, []},
  {registered, []},
  {applications, [kernel, stdlib]},
  {env, []},
  {runtime_dependencies, ["erts-14.0"]}]}.
