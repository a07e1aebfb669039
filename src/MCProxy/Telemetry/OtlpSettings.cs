using OpenTelemetry.Exporter;

namespace MCProxy.Telemetry;

/// <summary>
/// Where traces go, if anywhere: <c>--otlp-endpoint</c> (or <c>MCPROXY_OTLP_ENDPOINT</c>), else the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>; neither means no tracing at all. OTLP over HTTP (protobuf) unless
/// <c>OTEL_EXPORTER_OTLP_PROTOCOL=grpc</c>; over HTTP a base URL gets the signal path <c>/v1/traces</c>, as the
/// OpenTelemetry spec says for OTEL_EXPORTER_OTLP_ENDPOINT. <c>OTEL_SERVICE_NAME</c> replaces "mcproxy".
/// </summary>
internal sealed record OtlpSettings(Uri Endpoint, OtlpExportProtocol Protocol, string ServiceName)
{
    public const string TracesPath = "/v1/traces";

    /// <summary>Reads the OTEL_* variables (rule 19: once, here); the flag wins.</summary>
    public static OtlpSettings? FromEnvironment(Configuration.GatewayOptions options) => From(options.OtlpEndpoint,
        Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"), Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL"),
        Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME"));

    /// <exception cref="InvalidOperationException">the endpoint is not an http(s) URL, or the protocol is unknown.</exception>
    public static OtlpSettings? From(string? flag, string? otelEndpoint, string? otelProtocol, string? serviceName)
    {
        var (endpoint, source) = flag is { Length: > 0 } ? (flag, "--otlp-endpoint") : (otelEndpoint, "OTEL_EXPORTER_OTLP_ENDPOINT");
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return null;
        }
        if (!IsEndpoint(endpoint))
        {
            throw new InvalidOperationException($"{source} '{endpoint}' is not an http:// or https:// URL");
        }
        var protocol = otelProtocol?.Trim().ToLowerInvariant() switch
        {
            null or "" or "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
            "grpc" => OtlpExportProtocol.Grpc,
            _ => throw new InvalidOperationException($"OTEL_EXPORTER_OTLP_PROTOCOL '{otelProtocol}' is not supported: use http/protobuf or grpc"),
        };
        var uri = new Uri(endpoint.Trim());
        if (protocol == OtlpExportProtocol.HttpProtobuf && !uri.AbsolutePath.EndsWith(TracesPath, StringComparison.Ordinal))
        {
            uri = new Uri(uri, uri.AbsolutePath.TrimEnd('/') + TracesPath);
        }
        return new OtlpSettings(uri, protocol, serviceName is { Length: > 0 } ? serviceName : "mcproxy");
    }

    public static bool IsEndpoint(string text) =>
        Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0;
}
