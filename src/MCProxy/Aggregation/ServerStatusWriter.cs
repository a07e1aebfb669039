using System.Text.Json;
using MCProxy.Supervision;

namespace MCProxy.Aggregation;

/// <summary>How much of a server's status a reader may see.</summary>
internal enum StatusDetail
{
    /// <summary>Name, state, pid, restarts, counts: nothing a child or a config author wrote.</summary>
    StatesOnly,
    /// <summary>Plus error texts and server info, without stderr (MCP clients, through mcproxy__status).</summary>
    Errors,
    /// <summary>Everything, stderr tail included (/health for loopback callers).</summary>
    Full,
}

/// <summary>One server as JSON, shared by /health and the mcproxy__status tool so both always agree.</summary>
internal static class ServerStatusWriter
{
    /// <summary>
    /// <c>pid</c> (null when none runs), <c>restarts</c>, <c>tools</c> and <c>exitCode</c> (when there is one): what every
    /// view of a server shows. <paramref name="afterPid"/> adds members about the running process right after its pid.
    /// </summary>
    public static void WriteCounts(Utf8JsonWriter w, ServerStatus? status, Action<Utf8JsonWriter, int>? afterPid = null)
    {
        if (status?.Pid is { } pid)
        {
            w.WriteNumber("pid"u8, pid);
            afterPid?.Invoke(w, pid);
        }
        else
        {
            w.WriteNull("pid"u8);
        }
        w.WriteNumber("restarts"u8, status?.Restarts ?? 0);
        w.WriteNumber("tools"u8, status?.State == ServerState.Ready ? status.Tools.Count : 0);
        if (status?.ExitCode is { } exitCode)
        {
            w.WriteNumber("exitCode"u8, exitCode);
        }
    }

    /// <param name="redact">Masks a server's stderr line the way its answers are masked (see Output.Redactor).</param>
    public static void Write(Utf8JsonWriter w, ServerEntry entry, StatusDetail detail, Func<string, string, string>? redact = null)
    {
        var status = entry.Supervisor?.Status;
        w.WriteStartObject();
        w.WriteString("name"u8, entry.Name);
        w.WriteString("state"u8, entry.State.ToString().ToLowerInvariant());
        WriteCounts(w, status);
        if (detail == StatusDetail.StatesOnly)
        {
            w.WriteEndObject();
            return;
        }
        var lastError = status?.LastError;
        if (!entry.Definition.IsValid)
        {
            lastError = "invalid configuration";
        }
        if (lastError is null)
        {
            w.WriteNull("lastError"u8);
        }
        else
        {
            w.WriteString("lastError"u8, lastError);
        }
        if (status?.Url is { } url)
        {
            w.WriteString("url"u8, url);
            w.WriteString("transport"u8, status.Transport);
            if (status.LastHttpStatus is { } httpStatus)
            {
                w.WriteNumber("lastHttpStatus"u8, httpStatus);
            }
            else
            {
                w.WriteNull("lastHttpStatus"u8);
            }
        }
        var errors = entry.Definition.IsValid ? entry.PendingErrors : entry.Definition.Errors;
        if (errors is { Count: > 0 })
        {
            w.WriteStartArray("configErrors"u8);
            foreach (var error in errors)
            {
                w.WriteStringValue(error.ToString());
            }
            w.WriteEndArray();
        }
        if (status?.Info is { } info)
        {
            w.WriteStartObject("serverInfo"u8);
            w.WriteString("name"u8, info.ServerName);
            w.WriteString("version"u8, info.ServerVersion);
            w.WriteString("protocolVersion"u8, info.ProtocolVersion);
            w.WriteEndObject();
        }
        if (detail == StatusDetail.Full && entry.Supervisor is { } supervisor)
        {
            var tail = supervisor.StderrTail;
            if (tail.Count > 0)
            {
                w.WriteStartArray("stderr"u8);
                foreach (var line in tail)
                {
                    w.WriteStringValue(redact is null ? line : redact(entry.Name, line));
                }
                w.WriteEndArray();
            }
        }
        w.WriteEndObject();
    }
}
