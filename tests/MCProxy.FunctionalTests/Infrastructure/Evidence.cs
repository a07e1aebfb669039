using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace MCProxy.FunctionalTests.Infrastructure;

/// <summary>
/// What the whole suite leaves for the secrets sweep after CI (<c>deploy/ci/secrets-sweep.sh</c>): when
/// <c>MCPROXY_EVIDENCE_DIR</c> is set, every log line of every gateway the suite runs and every audit file are kept
/// under it, and every credential the suite configures or sends (tokens, JWTs, wrong ones too) is listed in
/// <c>secrets-&lt;pid&gt;.txt</c> beside them. The sweep then greps each kept file for each listed credential.
/// Without the variable (a developer's run) nothing is written.
/// </summary>
internal static class Evidence
{
    private static readonly string? Root = Environment.GetEnvironmentVariable("MCPROXY_EVIDENCE_DIR") is { Length: > 0 } dir
        ? Directory.CreateDirectory(dir).FullName
        : null;

    private static readonly Lock Gate = new();

    /// <summary>Credentials shorter than this are test placeholders ("x", "Bearer"), not secrets worth a grep.</summary>
    private const int MinimumLength = 8;

    public static bool Enabled => Root is not null;

    /// <summary>Lists one credential the suite used.</summary>
    public static void Secret(string? value)
    {
        if (Root is null || value is null || value.Length < MinimumLength || value.Contains('\n'))
        {
            return;
        }
        lock (Gate)
        {
            File.AppendAllText(Path.Combine(Root, $"secrets-{Environment.ProcessId}.txt"), value + "\n");
        }
    }

    /// <summary>Lists every token of a config's <c>auth.tokens</c> and every value of a .env text.</summary>
    public static void SecretsOf(string configJson, string? dotEnv)
    {
        if (Root is null)
        {
            return;
        }
        try
        {
            var root = JsonNode.Parse(configJson);
            if (root?["auth"]?["tokens"] is JsonArray tokens)
            {
                foreach (var token in tokens)
                {
                    Secret(token?["token"]?.GetValue<string>());
                }
            }
            // Remote servers' credentials: header values and the auth object's secrets.
            foreach (var server in root?["servers"] as JsonArray ?? [])
            {
                foreach (var (_, value) in server?["headers"] as JsonObject ?? [])
                {
                    Secret(value?.GetValue<string>());
                }
                foreach (var field in new[] { "token", "password", "clientSecret" })
                {
                    Secret(server?["auth"]?[field]?.GetValue<string>());
                }
            }
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            // A deliberately broken config: its tokens never reach a running gateway.
        }
        foreach (var line in (dotEnv ?? "").Split('\n'))
        {
            var eq = line.IndexOf('=');
            if (eq > 0)
            {
                Secret(line[(eq + 1)..].Trim().Trim('"'));
            }
        }
    }

    /// <summary>A writer for one gateway's log lines (null when disabled).</summary>
    public static TextWriter? OpenLog(string name)
    {
        if (Root is null)
        {
            return null;
        }
        var path = Path.Combine(Directory.CreateDirectory(Path.Combine(Root, "logs")).FullName, $"{name}-{Guid.NewGuid():N}.log");
        return TextWriter.Synchronized(new StreamWriter(path, append: true) { AutoFlush = true });
    }

    /// <summary>Keeps copies of the files matching <paramref name="pattern"/> under <paramref name="folder"/> (audit files).</summary>
    public static void Keep(string folder, string pattern)
    {
        if (Root is null || !Directory.Exists(folder))
        {
            return;
        }
        var files = Directory.GetFiles(folder, pattern, SearchOption.AllDirectories);
        if (files.Length == 0)
        {
            return;
        }
        var target = Directory.CreateDirectory(Path.Combine(Root, "files", Guid.NewGuid().ToString("N"))).FullName;
        foreach (var file in files)
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }
    }

    /// <summary>
    /// A startup filter for an in-process gateway that lists every Authorization credential any client of the suite
    /// sends it, so the sweep covers wrong tokens, expired and forged JWTs as well as the good ones.
    /// </summary>
    public sealed class CredentialRecorder : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, proceed) =>
            {
                var header = context.Request.Headers.Authorization.ToString();
                Secret(header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : header);
                await proceed(context);
            });
            next(app);
        };
    }
}
