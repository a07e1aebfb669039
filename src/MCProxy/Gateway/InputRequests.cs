using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MCProxy.Protocol;
using MCProxy.Supervision;
using Microsoft.Extensions.Logging;

namespace MCProxy.Gateway;

/// <summary>
/// Multi-round-trip requests (2026-07-28) through the gateway. A child of that revision answers a tools/call it needs
/// input for with <c>resultType: "input_required"</c>: keyed <c>inputRequests</c> (elicitation/create,
/// sampling/createMessage, roots/list) and an opaque <c>requestState</c> it wants back with the answers.
/// <list type="bullet">
/// <item>A 2026-07-28 client gets that result with the child's state sealed in a gateway handle (HMAC-SHA256 over
/// server, tool, identity, the child's state and an expiry, under <c>MCPROXY_STATE_KEY</c>). Its retry — the same
/// tools/call with <c>inputResponses</c> and the handle — is opened by whichever replica it reaches (same key),
/// checked (not forged, not expired, the same tool, the same identity) and passed on with the child's own state: the
/// child keeps nothing between rounds, so any replica's copy of it can continue.</item>
/// <item>A 2025 client (a session: it takes server→client requests) never sees input_required: the gateway asks it
/// each input request on its stream, as it relays a 2025 child's own requests, and calls the child again with the
/// answers, for at most <see cref="MaxRounds"/> rounds.</item>
/// <item>A caller that can do neither (a plain JSON POST, a client without the capability) gets a tool error that
/// says what the server asked for.</item>
/// </list>
/// </summary>
internal sealed partial class InputRequests
{
    public const int MaxRounds = 8;
    public const string KeyVariable = "MCPROXY_STATE_KEY";
    public static readonly TimeSpan HandleLifetime = TimeSpan.FromMinutes(10);
    private const string Prefix = "mcpx1.";

    private static readonly AsyncLocal<bool> s_perRequestClient = new();
    private readonly byte[] _key;
    private readonly TimeProvider _time;
    private readonly ServerRequestRelay _relay;

    public InputRequests(TimeProvider time, ServerRequestRelay relay, ILogger<InputRequests> logger)
    {
        _time = time;
        _relay = relay;
        var configured = Environment.GetEnvironmentVariable(KeyVariable);
        if (string.IsNullOrEmpty(configured))
        {
            _key = RandomNumberGenerator.GetBytes(32);
            LogProcessKey(logger, KeyVariable);
        }
        else
        {
            _key = SHA256.HashData(Encoding.UTF8.GetBytes(configured));
        }
    }

    /// <summary>True while the current call comes from a 2026-07-28 client (set by the stateless door for its call).</summary>
    public static bool PerRequestClient
    {
        get => s_perRequestClient.Value;
        set => s_perRequestClient.Value = value;
    }

    /// <summary>The 2026-07-28 client's declared <c>clientCapabilities</c> for the current call (raw JSON), or empty.</summary>
    public static ReadOnlyMemory<byte> ClientCapabilities
    {
        get => s_capabilities.Value;
        set => s_capabilities.Value = value;
    }

    private static readonly AsyncLocal<ReadOnlyMemory<byte>> s_capabilities = new();

    /// <summary>Whether raw clientCapabilities declare the one a request method needs.</summary>
    public static bool Declares(ReadOnlyMemory<byte> capabilities, string method) =>
        McpProtocol.ClientCapabilityFor(method) is { } capability && JsonSlice.TryGetProperty(capabilities, Encoding.UTF8.GetBytes(capability), out _);

    public static bool IsInputRequired(JsonRpcMessage reply) =>
        reply.Kind == JsonRpcKind.Response && JsonSlice.GetString(reply.Result, "resultType"u8) == "input_required";

    /// <summary>
    /// A 2026 client's retry: its <c>requestState</c>, when it has one, must be a handle this gateway (or a replica with
    /// the same key) sealed for this server, tool and identity; the child gets its own state back in its place.
    /// Null (and <paramref name="problem"/>) when the handle is refused.
    /// </summary>
    public byte[]? OpenRetry(byte[] upstreamParams, string server, string tool, string identity, out string? problem)
    {
        problem = null;
        if (!JsonSlice.TryGetProperty(upstreamParams, "requestState"u8, out var raw) || raw.Span.SequenceEqual("null"u8))
        {
            return upstreamParams;
        }
        var handle = JsonSlice.GetString(upstreamParams, "requestState"u8);
        if (handle is null || !TryOpen(handle, server, tool, identity, out var childState, out problem))
        {
            problem ??= "requestState must be the string a previous input_required result gave";
            return null;
        }
        return JsonSlice.ReplaceProperty(upstreamParams, "requestState"u8, childState is null ? "null"u8 : JsonRpcWriter.Quote(childState));
    }

    /// <summary>
    /// What the caller gets for a child's input_required result: for a 2026 client the result with its state sealed;
    /// for a session that can be asked, the final answer after asking it; otherwise a tool error.
    /// </summary>
    public async Task<JsonRpcMessage> ResolveAsync(JsonRpcMessage reply, ServerSupervisor supervisor, byte[] upstreamParams,
        DownstreamSession? session, string identity, CancellationToken ct)
    {
        var tool = JsonSlice.GetString(upstreamParams, "name"u8) ?? "";
        if (PerRequestClient)
        {
            var state = JsonSlice.GetString(reply.Result, "requestState"u8);
            var sealedState = Seal(supervisor.Name, tool, identity, state);
            return JsonRpcMessage.LocalResult(JsonSlice.ReplaceProperty(reply.Result.Span, "requestState"u8, JsonRpcWriter.Quote(sealedState)));
        }
        for (var round = 0; round < MaxRounds && IsInputRequired(reply); round++)
        {
            if (!JsonSlice.TryGetProperty(reply.Result, "inputRequests"u8, out var inputs) || !JsonSlice.IsObject(inputs.Span))
            {
                return ToolError($"server '{supervisor.Name}' asked for input without saying what (no inputRequests)");
            }
            var answers = new List<(string Key, ReadOnlyMemory<byte> Result)>();
            using (var document = JsonDocument.Parse(inputs))
            {
                foreach (var input in document.RootElement.EnumerateObject())
                {
                    var method = input.Value.ValueKind == JsonValueKind.Object && input.Value.TryGetProperty("method", out var m) &&
                                 m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
                    var capability = McpProtocol.ClientCapabilityFor(method);
                    if (capability is null)
                    {
                        return ToolError($"server '{supervisor.Name}' asked for input the gateway cannot relay ('{method}')");
                    }
                    if (session is null || !session.ClientCapabilities.Contains(capability))
                    {
                        return ToolError($"server '{supervisor.Name}' needs {capability} from the client to go on, and this client " +
                                         (session is null ? "has no session to be asked on (connect with initialize, or use the 2026-07-28 revision)" : $"did not declare {capability}"));
                    }
                    var prms = input.Value.TryGetProperty("params", out var p) ? Encoding.UTF8.GetBytes(p.GetRawText()) : "{}"u8.ToArray();
                    var answer = await _relay.AskAsync(session, method, prms, supervisor.Config.Timeout, null, ct).ConfigureAwait(false);
                    if (answer.Kind != JsonRpcKind.Response)
                    {
                        return ToolError($"the client could not answer {method} for server '{supervisor.Name}': " +
                                         (JsonSlice.GetString(answer.Error, "message"u8) ?? "an error"));
                    }
                    answers.Add((input.Name, answer.Result.ToArray()));
                }
            }
            var retry = JsonSlice.ReplaceProperty(upstreamParams, "inputResponses"u8, JsonRpcWriter.Build(w =>
            {
                w.WriteStartObject();
                foreach (var (key, result) in answers)
                {
                    w.WritePropertyName(key);
                    w.WriteRawValue(result.Span, skipInputValidation: true);
                }
                w.WriteEndObject();
            }));
            var state = JsonSlice.TryGetProperty(reply.Result, "requestState"u8, out var s) ? s.ToArray() : "null"u8.ToArray();
            retry = JsonSlice.ReplaceProperty(retry, "requestState"u8, state);
            reply = await supervisor.RequestAsync("tools/call", retry, ct).ConfigureAwait(false);
        }
        return IsInputRequired(reply)
            ? ToolError($"server '{supervisor.Name}' still asked for input after {MaxRounds} rounds; the gateway stopped there")
            : reply;
    }

    internal string Seal(string server, string tool, string identity, string? childState) => Seal(server, tool, identity, childState, HandleLifetime);

    internal string Seal(string server, string tool, string identity, string? childState, TimeSpan lifetime)
    {
        var payload = JsonRpcWriter.Build(w =>
        {
            w.WriteStartObject();
            w.WriteString("s"u8, server);
            w.WriteString("t"u8, tool);
            w.WriteString("i"u8, identity);
            if (childState is null)
            {
                w.WriteNull("c"u8);
            }
            else
            {
                w.WriteString("c"u8, childState);
            }
            w.WriteNumber("e"u8, (_time.GetUtcNow() + lifetime).ToUnixTimeMilliseconds());
            w.WriteEndObject();
        });
        var body = Prefix + Base64Url.EncodeToString(payload);
        return body + "." + Base64Url.EncodeToString(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(body)));
    }

    internal bool TryOpen(string handle, string server, string tool, string identity, out string? childState, out string? problem) =>
        TryOpen(handle, server, tool, identity, "requestState", out childState, out problem, out _);

    /// <summary>A task id the gateway gave a 2026 client: the server that runs the task and the server's own task id.</summary>
    internal bool TryOpenTask(string handle, string identity, out string server, out string? childTask, out string? problem)
    {
        var ok = TryOpen(handle, null, TaskRelay.SealedKind, identity, "taskId", out childTask, out problem, out var sealedServer);
        server = sealedServer ?? "";
        return ok;
    }

    private bool TryOpen(string handle, string? server, string tool, string identity, string what, out string? childState, out string? problem,
        out string? sealedServer)
    {
        childState = null;
        sealedServer = null;
        problem = $"{what} is not one this gateway issued (or it was altered)";
        var dot = handle.LastIndexOf('.');
        if (!handle.StartsWith(Prefix, StringComparison.Ordinal) || dot <= Prefix.Length)
        {
            return false;
        }
        var body = handle[..dot];
        byte[] mac, payload;
        try
        {
            mac = Base64Url.DecodeFromChars(handle.AsSpan(dot + 1));
            payload = Base64Url.DecodeFromChars(body.AsSpan(Prefix.Length));
        }
        catch (FormatException)
        {
            return false;
        }
        if (!CryptographicOperations.FixedTimeEquals(mac, HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(body))))
        {
            return false;
        }
        sealedServer = JsonSlice.GetString(payload, "s"u8);
        if ((server is not null && sealedServer != server) || JsonSlice.GetString(payload, "t"u8) != tool)
        {
            problem = $"{what} belongs to another tool's call";
            return false;
        }
        if (JsonSlice.GetString(payload, "i"u8) != identity)
        {
            problem = $"{what} belongs to another identity's call";
            return false;
        }
        if (!JsonSlice.TryGetProperty(payload, "e"u8, out var e) || !long.TryParse(Encoding.UTF8.GetString(e.Span), out var expires) ||
            _time.GetUtcNow().ToUnixTimeMilliseconds() > expires)
        {
            problem = what == "taskId"
                ? "taskId expired; call the tool again"
                : $"requestState expired (a multi-round-trip call must be continued within {HandleLifetime.TotalMinutes:0} minutes); call the tool again";
            return false;
        }
        childState = JsonSlice.GetString(payload, "c"u8);
        problem = null;
        return true;
    }

    private static JsonRpcMessage ToolError(string text) => JsonRpcMessage.LocalResult(JsonRpcWriter.ToolErrorResult(text));


    [LoggerMessage(Level = LogLevel.Information, Message = "{Variable} is not set: multi-round-trip request states are sealed with a key of this process only, so a retry must come back to this replica; give every replica the same {Variable} to let any of them continue")]
    private static partial void LogProcessKey(ILogger logger, string variable);
}
