#!/bin/bash
# Copyright Broadcom, Inc. All Rights Reserved.
# SPDX-License-Identifier: APACHE-2.0
exec /opt/bitnami/postgresql/bin/postgres "$@"
