namespace MCProxy.Protocol;

/// <summary>JSON-RPC 2.0 and MCP error codes used by the gateway.</summary>
internal static class JsonRpcErrorCodes
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;
    /// <summary>Used by the MCP SDKs for transport-level problems (missing session header and the like).</summary>
    public const int ServerError = -32000;
    /// <summary>Session not found: the client must re-initialize.</summary>
    public const int SessionNotFound = -32001;
}
