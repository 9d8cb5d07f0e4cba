#!/usr/bin/env python3
"""A second, independent benchmark export, written by DuckDB (not by `proxyhunt generate`).

It differs from proxyhunt's own generator in every way a reader can be sensitive to:
- every column Defender and Log Analytics export for the four tables (about 60 per device table,
  70 for sign-ins), in a shuffled order of its own per table;
- long command lines (one in twenty of 0.5 to 3 KB), JSON in the dynamic columns, many distinct users
  (a fifth of the row count), devices and addresses;
- its own hit rates and spellings (tools in mixed case, ports as text in CSV, ResultType as text);
- datetimes with 7 fraction digits, as Kusto writes them.

    python3 gen_wide.py OUT_DIR ROWS csv|parquet|ndjson|streaming [NOW]

Files are named after their tables (`DeviceProcessEvents.csv`, ...). `streaming` writes the two
device tables as the Defender streaming API writes them to a Storage account: one `PT1H.json` blob
per hour under `insights-logs-advancedhunting-<table>/tenantId=…/y=…/m=…/d=…/h=…/m=00/`, each line
`{"time", "tenantId", "operationName", "category", "properties": {…the row…}}`; sign-ins and
threat intel (which that API does not carry) as NDJSON beside them. `ROWS` rows per event table,
`ROWS / 10` threat-intel indicators (at most 100k). Deterministic: values come from hashes of the
row number, not from a random generator.
"""
import os
import random
import shutil
import sys

import duckdb

NOW = "2026-05-12 10:00:00"


def h(salt, mod):
    """A deterministic pseudo-random integer in [0, mod) from the row number `i`."""
    return f"((hash(i, '{salt}') % {mod})::BIGINT)"


def pick(salt, values):
    """One of `values`, chosen by hash."""
    arr = "[" + ", ".join("'%s'" % v.replace("'", "''") for v in values) + "]"
    return f"{arr}[1 + {h(salt, len(values))}]"


def time_col(salt, span_s, now):
    """A datetime within `span_s` seconds before now, with 7 fraction digits (Kusto ticks)."""
    return (f"strftime(TIMESTAMP '{now}' - to_seconds({h(salt, span_s)}) "
            f"- to_microseconds({h(salt + 'f', 1000000)}), '%Y-%m-%dT%H:%M:%S.%f') "
            f"|| ({h(salt + 't', 10)}::VARCHAR) || 'Z'")


def guid(salt):
    """A GUID-shaped text from the row number."""
    m = f"md5(i::VARCHAR || '{salt}')"
    return (f"(substr({m}, 1, 8) || '-' || substr({m}, 9, 4) || '-' || substr({m}, 13, 4) || '-' "
            f"|| substr({m}, 17, 4) || '-' || substr({m}, 21, 12))")


def tables(rows, now):
    users = max(rows // 5, 100)
    devices = max(rows // 50, 50)
    ti = min(max(rows // 10, 100), 100000)
    user = f"'user' || {h('u', users)} || '@fabrikam.example'"
    device = f"'wks-' || {h('d', devices)} || '.corp.fabrikam.example'"
    # Addresses named by the threat intel: the first `ti` of the 10.x space below (the TI rows
    # take their address from the row number); sign-ins hit them one time in 300.
    ti_ip = f"'45.' || (i // 65536 % 256) || '.' || (i // 256 % 256) || '.' || (i % 256)"
    signin_ip = (f"CASE WHEN {h('hit', 300)} = 0 THEN "
                 f"'45.' || ({h('ti', ti)} // 65536 % 256) || '.' || ({h('ti', ti)} // 256 % 256) "
                 f"|| '.' || ({h('ti', ti)} % 256) "
                 f"ELSE '203.' || {h('a', 256)} || '.' || {h('b', 256)} || '.' || {h('c', 256)} END")
    json_detail = ("'{\"deviceId\":\"' || " + guid('dev') + " || '\",\"operatingSystem\":\"' || "
                   + pick('os', ['Windows10', 'Windows11', 'MacOs', 'Ios', 'Android']) +
                   " || '\",\"browser\":\"' || " + pick('br', ['Edge 124.0', 'Chrome 125.0', 'Rich Client 5.2']) +
                   " || '\",\"isCompliant\":' || " + pick('cmp', ['true', 'false']) + " || '}'")
    long_tail = f"repeat(' --opt-' || {h('lt', 1000)} || '=' || md5(i::VARCHAR), 10 + {h('ln', 60)})"
    benign = pick('benign', ['svchost.exe -k netsvcs -p', 'C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1',
                             'git.exe fetch --prune origin', 'msedge.exe --type=renderer --lang=en-US',
                             'python3 manage.py runserver'])
    script = "'powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\\Scripts\\inventory.ps1'"
    cmd = (f"CASE WHEN {h('pc', 1000)} = 0 THEN {pick('tool', ['TOR.exe -f torrc', 'proxychains nmap -sT 10.0.0.1', 'Proxifier.exe', 'microsocks -p 1080'])} "
           f"WHEN {h('pc', 1000)} = 1 THEN 'curl --socks5 127.0.0.1:9050 https://example.org' "
           f"WHEN {h('pc', 1000)} = 2 THEN 'ssh -J bastion.fabrikam.example admin@10.1.2.3' "
           f"WHEN {h('pc', 1000)} = 3 THEN 'docker run -d nginx' "
           f"WHEN {h('pc', 20)} = 4 THEN {script} || {long_tail} "
           f"ELSE {benign} END")
    file_name = (f"CASE WHEN {h('pc', 1000)} = 0 THEN {pick('tf', ['tor.exe', 'proxychains', 'Proxifier.exe', 'microsocks'])} "
                 f"WHEN {h('pc', 1000)} = 2 THEN 'ssh.exe' WHEN {h('pc', 1000)} = 3 THEN 'docker.exe' "
                 f"ELSE {pick('fn', ['svchost.exe', 'conhost.exe', 'git.exe', 'msedge.exe', 'python3', 'powershell.exe'])} END")
    sha = lambda s: f"sha256(i::VARCHAR || '{s}')"
    process = {
        "Timestamp": time_col('pt', 7 * 86400, now),
        "DeviceId": f"md5({h('d', devices)}::VARCHAR)",
        "DeviceName": device,
        "ActionType": "'ProcessCreated'",
        "FileName": file_name,
        "FolderPath": "'C:\\Windows\\System32\\' || " + file_name,
        "SHA1": f"left({sha('s1')}, 40)",
        "SHA256": sha('s2'),
        "MD5": f"md5(i::VARCHAR)",
        "FileSize": f"{h('fs', 5000000)}",
        "ProcessVersionInfoCompanyName": "'Microsoft Corporation'",
        "ProcessVersionInfoProductName": "'Microsoft Windows Operating System'",
        "ProcessVersionInfoProductVersion": "'10.0.22621.1'",
        "ProcessVersionInfoInternalFileName": file_name,
        "ProcessVersionInfoOriginalFileName": file_name,
        "ProcessVersionInfoFileDescription": "'Host Process'",
        "ProcessId": f"{h('pid', 65536)}",
        "ProcessCommandLine": cmd,
        "ProcessIntegrityLevel": pick('il', ['Medium', 'High', 'System']),
        "ProcessTokenElevation": pick('te', ['TokenElevationTypeDefault', 'TokenElevationTypeFull']),
        "ProcessCreationTime": time_col('pt', 7 * 86400, now),
        "AccountDomain": "'fabrikam'",
        "AccountName": f"'user' || {h('u', users)}",
        "AccountSid": f"'S-1-5-21-' || {h('sid', 1000000000)}",
        "AccountUpn": user,
        "AccountObjectId": guid('aoid'),
        "LogonId": f"{h('lid', 10000000)}",
        "InitiatingProcessAccountDomain": "'fabrikam'",
        "InitiatingProcessAccountName": f"'user' || {h('u', users)}",
        "InitiatingProcessAccountSid": f"'S-1-5-21-' || {h('sid', 1000000000)}",
        "InitiatingProcessAccountUpn": user,
        "InitiatingProcessAccountObjectId": guid('aoid'),
        "InitiatingProcessLogonId": f"{h('lid', 10000000)}",
        "InitiatingProcessIntegrityLevel": "'Medium'",
        "InitiatingProcessTokenElevation": "'TokenElevationTypeDefault'",
        "InitiatingProcessSHA1": f"left({sha('is1')}, 40)",
        "InitiatingProcessSHA256": sha('is2'),
        "InitiatingProcessMD5": f"md5(i::VARCHAR || 'im')",
        "InitiatingProcessFileName": pick('ipf', ['explorer.exe', 'cmd.exe', 'powershell.exe', 'bash', 'services.exe']),
        "InitiatingProcessFileSize": f"{h('ifs', 5000000)}",
        "InitiatingProcessVersionInfoCompanyName": "'Microsoft Corporation'",
        "InitiatingProcessVersionInfoProductName": "'Microsoft Windows Operating System'",
        "InitiatingProcessVersionInfoProductVersion": "'10.0.22621.1'",
        "InitiatingProcessVersionInfoInternalFileName": "'explorer'",
        "InitiatingProcessVersionInfoOriginalFileName": "'EXPLORER.EXE'",
        "InitiatingProcessVersionInfoFileDescription": "'Windows Explorer'",
        "InitiatingProcessId": f"{h('ipid', 65536)}",
        "InitiatingProcessCommandLine": pick('ipc', ['explorer.exe', 'cmd.exe /c start', 'powershell.exe -nop', '/bin/bash -l', 'C:\\Windows\\system32\\services.exe']),
        "InitiatingProcessCreationTime": time_col('ipt', 8 * 86400, now),
        "InitiatingProcessFolderPath": "'c:\\windows\\explorer.exe'",
        "InitiatingProcessParentId": f"{h('ppid', 65536)}",
        "InitiatingProcessParentFileName": "'userinit.exe'",
        "InitiatingProcessParentCreationTime": time_col('ppt', 9 * 86400, now),
        "InitiatingProcessSignerType": "'OsVendor'",
        "InitiatingProcessSignatureStatus": "'Valid'",
        "ReportId": f"{h('rid', 100000000)}",
        "AppGuardContainerId": "''",
        "AdditionalFields": "'{\"ProcessStartKey\":' || i || '}'",
        "TenantId": "'8a1b4c5d-0000-4000-8000-000000000001'",
        "Type": "'DeviceProcessEvents'",
        "TimeGenerated": time_col('pt', 7 * 86400, now),
        "SourceSystem": "''",
        "MachineGroup": pick('mg', ['Workstations', 'Servers', 'Lab']),
    }
    port = (f"CASE WHEN {h('np', 1000)} < 2 THEN {pick('tp', ['9001', '9030', '9040', '9050', '9051', '9150', '9151'])} "
            f"ELSE {pick('port', ['443', '80', '53', '8443', '3389', '9000', '9052'])} END")
    network = {
        "Timestamp": time_col('nt', 7 * 86400, now),
        "DeviceId": f"md5({h('d', devices)}::VARCHAR)",
        "DeviceName": device,
        "ActionType": pick('nat', ['ConnectionSuccess', 'ConnectionFailed', 'InboundConnectionAccepted']),
        "RemoteIP": f"'198.' || {h('r1', 256)} || '.' || {h('r2', 256)} || '.' || {h('r3', 256)}",
        "RemotePort": port,
        "RemoteUrl": f"CASE WHEN {h('ru', 3)} = 0 THEN '' ELSE 'host' || {h('rh', 100000)} || '.example.net' END",
        "LocalIP": f"'10.' || {h('l1', 256)} || '.' || {h('l2', 256)} || '.' || {h('l3', 256)}",
        "LocalPort": f"{h('lp', 65536)}",
        "Protocol": pick('proto', ['Tcp', 'Udp']),
        "LocalIPType": "'Private'",
        "RemoteIPType": f"CASE WHEN {h('rt', 10)} < 8 THEN 'Public' ELSE {pick('rtp', ['Private', 'Loopback', 'Reserved'])} END",
        "InitiatingProcessSHA1": f"left({sha('ns1')}, 40)",
        "InitiatingProcessSHA256": sha('ns2'),
        "InitiatingProcessMD5": "md5(i::VARCHAR || 'nm')",
        "InitiatingProcessFileName": pick('nfn', ['msedge.exe', 'tor.exe', 'svchost.exe', 'OneDrive.exe', 'teams.exe']),
        "InitiatingProcessFileSize": f"{h('nfs', 5000000)}",
        "InitiatingProcessVersionInfoCompanyName": "'Microsoft Corporation'",
        "InitiatingProcessVersionInfoProductName": "'Microsoft Edge'",
        "InitiatingProcessVersionInfoProductVersion": "'124.0.2478.80'",
        "InitiatingProcessVersionInfoInternalFileName": "'msedge_exe'",
        "InitiatingProcessVersionInfoOriginalFileName": "'msedge.exe'",
        "InitiatingProcessVersionInfoFileDescription": "'Microsoft Edge'",
        "InitiatingProcessId": f"{h('nipid', 65536)}",
        "InitiatingProcessCommandLine": f"'\"msedge.exe\" --type=utility --utility-sub-type=network.mojom.NetworkService --field-trial-handle=' || {h('fth', 100000)}",
        "InitiatingProcessCreationTime": time_col('nipt', 8 * 86400, now),
        "InitiatingProcessFolderPath": "'c:\\program files (x86)\\microsoft\\edge\\application\\msedge.exe'",
        "InitiatingProcessParentFileName": "'explorer.exe'",
        "InitiatingProcessParentId": f"{h('nppid', 65536)}",
        "InitiatingProcessParentCreationTime": time_col('nppt', 9 * 86400, now),
        "InitiatingProcessAccountDomain": "'fabrikam'",
        "InitiatingProcessAccountName": f"'user' || {h('u', users)}",
        "InitiatingProcessAccountSid": f"'S-1-5-21-' || {h('sid', 1000000000)}",
        "InitiatingProcessAccountUpn": user,
        "InitiatingProcessAccountObjectId": guid('naoid'),
        "InitiatingProcessIntegrityLevel": "'Medium'",
        "InitiatingProcessTokenElevation": "'TokenElevationTypeDefault'",
        "ReportId": f"{h('nrid', 100000000)}",
        "AppGuardContainerId": "''",
        "AdditionalFields": "'{\"direction\":\"Out\"}'",
        "TenantId": "'8a1b4c5d-0000-4000-8000-000000000001'",
        "Type": "'DeviceNetworkEvents'",
        "TimeGenerated": time_col('nt', 7 * 86400, now),
        "SourceSystem": "''",
        "MachineGroup": pick('nmg', ['Workstations', 'Servers', 'Lab']),
    }
    signin = {
        "TenantId": "'8a1b4c5d-0000-4000-8000-000000000001'",
        "SourceSystem": "'Azure AD'",
        "TimeGenerated": time_col('st', 7 * 86400, now),
        "ResourceId": "'/tenants/8a1b4c5d-0000-4000-8000-000000000001/providers/Microsoft.aadiam'",
        "OperationName": "'Sign-in activity'",
        "OperationVersion": "'1.0'",
        "Category": "'NonInteractiveUserSignInLogs'",
        "ResultType": f"CASE WHEN {h('rs', 10)} < 8 THEN '0' ELSE {pick('rte', ['50126', '50053', '53003', '500121'])} END",
        "ResultSignature": "'None'",
        "ResultDescription": "''",
        "DurationMs": "'0'",
        "CorrelationId": guid('corr'),
        "Identity": f"'User ' || {h('u', users)}",
        "Level": "'4'",
        "Location": pick('loc', ['US', 'GB', 'DE', 'NL', 'JP', 'FR', 'SE', 'CA', 'AU', 'BR', 'IN', 'SG']),
        "AlternateSignInName": user,
        "AppDisplayName": pick('app', ['Microsoft Teams', 'Office 365 Exchange Online', 'Microsoft Azure CLI', 'OneDrive SyncEngine', 'Microsoft Authentication Broker']),
        "AppId": guid('appid'),
        "AuthenticationContextClassReferences": "'[]'",
        "AuthenticationDetails": "'[]'",
        "AuthenticationProcessingDetails": "'[{\"key\":\"Legacy TLS (TLS 1.0, 1.1, 3DES)\",\"value\":\"False\"},{\"key\":\"Is CAE Token\",\"value\":\"True\"}]'",
        "AuthenticationProtocol": "'none'",
        "AuthenticationRequirement": pick('areq', ['singleFactorAuthentication', 'multiFactorAuthentication']),
        "AuthenticationRequirementPolicies": "'[]'",
        "AutonomousSystemNumber": f"{h('asn', 60000)}",
        "ClientAppUsed": "'Mobile Apps and Desktop clients'",
        "ConditionalAccessPolicies": "'[{\"id\":\"' || " + guid('cap') + " || '\",\"displayName\":\"Require MFA\",\"result\":\"notApplied\"}]'",
        "ConditionalAccessStatus": pick('cas', ['notApplied', 'success', 'failure']),
        "CreatedDateTime": time_col('st', 7 * 86400, now),
        "CrossTenantAccessType": "'none'",
        "DeviceDetail": json_detail,
        "HomeTenantId": "'8a1b4c5d-0000-4000-8000-000000000001'",
        "IPAddress": signin_ip,
        "IsInteractive": "'false'",
        "IsRisky": "'false'",
        "LocationDetails": "'{\"city\":\"Springfield\",\"state\":\"IL\",\"countryOrRegion\":\"US\",\"geoCoordinates\":{\"latitude\":39.78,\"longitude\":-89.65}}'",
        "MfaDetail": "'{}'",
        "NetworkLocationDetails": "'[]'",
        "OriginalRequestId": guid('orig'),
        "ProcessingTimeInMs": f"{h('ptm', 500)}",
        "ResourceDisplayName": pick('res', ['Microsoft Graph', 'Office 365 Exchange Online', 'Windows Azure Service Management API']),
        "ResourceIdentity": guid('resid'),
        "ResourceServicePrincipalId": guid('rspid'),
        "ResourceTenantId": "'8a1b4c5d-0000-4000-8000-000000000001'",
        "RiskDetail": "'none'",
        "RiskEventTypes": "'[]'",
        "RiskEventTypes_V2": "'[]'",
        "RiskLevelAggregated": "'none'",
        "RiskLevelDuringSignIn": "'none'",
        "RiskState": "'none'",
        "ServicePrincipalId": "''",
        "SessionLifetimePolicies": "'[]'",
        "SignInEventTypes": "'[\"nonInteractiveUser\"]'",
        "SignInIdentifierType": "''",
        "Status": "'{\"errorCode\":0}'",
        "TokenIssuerName": "''",
        "TokenIssuerType": "'AzureAD'",
        "UniqueTokenIdentifier": f"replace(to_base64(md5(i::VARCHAR)::BLOB), '=', '')",
        "UserAgent": pick('ua', ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Safari/537.36 Edg/125.0', 'python-requests/2.32.3', 'Microsoft Office/16.0']),
        "UserDisplayName": f"'User ' || {h('u', users)}",
        "UserId": guid('uid'),
        "UserPrincipalName": user,
        "UserType": "'Member'",
        "Type": "'AADNonInteractiveUserSignInLogs'",
    }
    indicators = {
        "TenantId": "'8a1b4c5d-0000-4000-8000-000000000001'",
        "TimeGenerated": time_col('tit', 25 * 86400, now),
        "WorkspaceId": "'0f0e0d0c-0000-4000-8000-000000000002'",
        "Id": f"'indicator--' || {guid('tid')}",
        "ObservableKey": "'ipv4-addr:value'",
        "ObservableValue": ti_ip,
        "SourceSystem": pick('tss', ['Microsoft Defender Threat Intelligence', 'SecOps feed', 'Premium Microsoft Defender Threat Intelligence']),
        "IsActive": f"CASE WHEN {h('ia', 20)} = 0 THEN 'False' ELSE 'True' END",
        "ConfidenceScore": f"{h('cs', 100)}",
        "LastUpdateTime": time_col('tit', 25 * 86400, now),
        "Created": time_col('tic', 60 * 86400, now),
        "Modified": time_col('tim', 25 * 86400, now),
        "ValidFrom": time_col('tvf', 60 * 86400, now),
        "ValidUntil": f"CASE WHEN {h('vu', 10)} = 0 THEN '' ELSE strftime(TIMESTAMP '{now}' + to_days({h('vud', 90)} - 10), '%Y-%m-%dT%H:%M:%S.0000000Z') END",
        "IsDeleted": "'False'",
        "Tags": f"CASE WHEN {h('tg', 4)} = 0 THEN 'malware' ELSE {pick('tag', ['tor', 'proxy', 'anonymizer', 'vpn', 'Tor,exit-node', 'anonymity'])} END",
        "AdditionalFields": "'{}'",
        "Pattern": f"'[ipv4-addr:value = ''' || {ti_ip} || ''']'",
        "Type": "'ThreatIntelIndicators'",
        "Data": "'{\"type\":\"indicator\",\"spec_version\":\"2.1\"}'",
    }
    return {
        "DeviceProcessEvents": (process, rows),
        "DeviceNetworkEvents": (network, rows),
        "AADNonInteractiveUserSignInLogs": (signin, rows),
        "ThreatIntelIndicators": (indicators, ti),
    }


TENANT = "8a1b4c5d-0000-4000-8000-000000000001"


def main():
    out, rows, fmt = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    now = (sys.argv[4] if len(sys.argv) > 4 else NOW).replace("T", " ").rstrip("Z")
    os.makedirs(out, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute("SET preserve_insertion_order = false")
    for name, (columns, n) in tables(rows, now).items():
        order = list(columns)
        random.Random(name).shuffle(order)
        if fmt == "streaming" and name.startswith("Device"):
            fields = ", ".join(f"\"{c}\" := {columns[c]}" for c in order)
            con.execute(f"""COPY (
                SELECT strftime(now_ts, '%Y-%m-%dT%H:%M:%S.%fZ') AS time, '{TENANT}' AS tenantId,
                       'Publish' AS operationName, 'AdvancedHunting-{name}' AS category,
                       row AS properties, strftime(now_ts, '%Y') AS y, strftime(now_ts, '%m') AS mo,
                       strftime(now_ts, '%d') AS d, strftime(now_ts, '%H') AS h
                FROM (SELECT row, row.Timestamp::TIMESTAMP AS now_ts
                      FROM (SELECT struct_pack({fields}) AS row FROM range({n}) r(i)))
            ) TO '{out}/.partitions-{name}' (FORMAT json, PARTITION_BY (y, mo, d, h))""")
            move_partitions(out, name)
            continue
        select = ", ".join(f"{columns[c]} AS \"{c}\"" for c in order)
        ext = "ndjson" if fmt == "streaming" else fmt
        option = {"csv": "(FORMAT csv, HEADER true)", "parquet": "(FORMAT parquet)",
                  "ndjson": "(FORMAT json)"}[ext]
        con.execute(f"COPY (SELECT {select} FROM range({n}) r(i)) TO '{out}/{name}.{ext}' {option}")


def move_partitions(out, name):
    """Moves DuckDB's hive partitions (`y=/mo=/d=/h=/data_0.json`) to the streaming API's blob
    names (`…/tenantId=…/y=/m=/d=/h=/m=00/PT1H.json`)."""
    tmp = f"{out}/.partitions-{name}"
    container = f"{out}/insights-logs-advancedhunting-{name.lower()}/tenantId={TENANT}"
    for root, _, files in os.walk(tmp):
        parts = dict(p.split("=", 1) for p in os.path.relpath(root, tmp).split(os.sep) if "=" in p)
        for k, f in enumerate(sorted(files)):
            blob = f"{container}/y={parts['y']}/m={parts['mo']}/d={parts['d']}/h={parts['h']}/m=00"
            os.makedirs(blob, exist_ok=True)
            os.rename(os.path.join(root, f), f"{blob}/PT1H{'' if k == 0 else '-%d' % k}.json")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
