using MCProxy.Hosting;
using MCProxy.Telemetry;
using OpenTelemetry.Exporter;

namespace MCProxy.Tests.Telemetry;

public sealed class OtlpSettingsTests
{
    [Fact]
    public void From_NothingConfigured_NoTracing() => Assert.Null(OtlpSettings.From(null, null, null, null));

    [Theory]
    [InlineData("http://collector:4318", null, "http://collector:4318/v1/traces")]
    [InlineData("http://collector:4318/", "http/protobuf", "http://collector:4318/v1/traces")]
    [InlineData("https://otel.example/base", null, "https://otel.example/base/v1/traces")]
    [InlineData("http://collector:4318/v1/traces", null, "http://collector:4318/v1/traces")]
    [InlineData("http://collector:4317", "grpc", "http://collector:4317/")]
    public void From_Endpoint_ProtocolAndSignalPath(string endpoint, string? protocol, string expected)
    {
        var settings = OtlpSettings.From(endpoint, null, protocol, null)!;
        Assert.Equal(expected, settings.Endpoint.ToString());
        Assert.Equal(protocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf, settings.Protocol);
        Assert.Equal("mcproxy", settings.ServiceName);
    }

    [Fact]
    public void From_FlagWinsOverTheStandardVariable_ServiceNameFromOtel()
    {
        var settings = OtlpSettings.From("http://flag:4318", "http://env:4318", null, "gateway-eu")!;
        Assert.Equal("flag", settings.Endpoint.Host);
        Assert.Equal("gateway-eu", settings.ServiceName);
        Assert.Equal("env", OtlpSettings.From(null, "http://env:4318", null, null)!.Endpoint.Host);
    }

    [Theory]
    [InlineData("collector:4318", null)]
    [InlineData("ftp://collector", null)]
    [InlineData("http://collector:4318", "http/json")]
    public void From_Unusable_ThrowsNamingTheSetting(string endpoint, string? protocol)
    {
        var error = Assert.Throws<InvalidOperationException>(() => OtlpSettings.From(null, endpoint, protocol, null));
        Assert.Contains("OTEL_EXPORTER_OTLP_", error.Message);
    }

    [Fact]
    public void CommandLine_MetricsAndOtlpFlags()
    {
        var options = CommandLine.Parse(["--no-metrics", "--otlp-endpoint", "http://127.0.0.1:4318"], out var error, out _, out _)!;
        Assert.Null(error);
        Assert.False(options.Metrics);
        Assert.Equal("http://127.0.0.1:4318", options.OtlpEndpoint);
        Assert.True(CommandLine.Parse([], out _, out _, out _)!.Metrics);
        Assert.Null(CommandLine.Parse(["--otlp-endpoint", "nope"], out error, out _, out _));
        Assert.Contains("--otlp-endpoint", error);
        var fromEnv = CommandLine.ApplySettings(new(), key => key == "OTLP_ENDPOINT" ? "http://env:4318" : null, out _)!;
        Assert.Equal("http://env:4318", fromEnv.OtlpEndpoint);
    }
}
