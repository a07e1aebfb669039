namespace MCProxy.Gateway.Rest;

/// <summary>The REST routes, named once: <see cref="RestApi"/> maps them and <see cref="OpenApiDocument"/> describes them.</summary>
internal static class RestRoutes
{
    public const string Servers = "/api/servers";
    public const string Tools = "/api/tools";
    public const string CallTool = "/api/tools/{name}";
    public const string Broadcast = "/api/broadcast/{tool}";
    public const string OpenApi = "/api/openapi.json";

    /// <summary>The door named in audit records of calls made through these routes.</summary>
    public const string Door = "rest";
}
