%% This is an -*- erlang -*- file.
%%
%% %CopyrightBegin%
%%
%% SPDX-License-Identifier: Apache-2.0
%%
%% %CopyrightEnd%
%%
{application, runtime_tools,
 [{description, "RUNTIME_TOOLS"},
  {vsn, "2.0.1"},
  {modules, []},
  {registered, []},
  {applications, [kernel, stdlib]},
  {env, []},
  {runtime_dependencies, ["erts-14.0"]}]}.
