using MCProxy.Configuration;
using MCProxy.Gateway;
using Microsoft.AspNetCore.Http;

namespace MCProxy.Tests.Gateway;

/// <summary>DNS-rebinding protection: which Host and Origin headers reach the MCP endpoints.</summary>
public class OriginGuardTests
{
    private static HttpRequest Request(string host, string? origin = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Host = new HostString(host);
        if (origin is not null)
        {
            context.Request.Headers.Origin = origin;
        }
        return context.Request;
    }

    private static OriginGuard Guard(string bind = "127.0.0.1", string[]? hosts = null, string[]? origins = null) =>
        new(new GatewayOptions { Host = bind, AllowedHosts = hosts ?? [], AllowedOrigins = origins ?? [] });

    [Theory]
    [InlineData("localhost")]
    [InlineData("localhost:12010")]
    [InlineData("LOCALHOST:1")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:8080")]
    [InlineData("[::1]")]
    [InlineData("[::1]:12010")]
    public void Check_LoopbackBindLoopbackHostAnyPort_Allowed(string host) => Assert.Null(Guard().Check(Request(host)));

    [Theory]
    [InlineData("evil.example")]
    [InlineData("evil.example:12010")]
    [InlineData("localhost.evil.example")]
    [InlineData("127.0.0.2")]
    [InlineData("")]
    public void Check_LoopbackBindForeignHost_Refused(string host)
    {
        var refusal = Guard().Check(Request(host));
        Assert.NotNull(refusal);
        Assert.Contains("--allowed-hosts", refusal);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("::1")]
    [InlineData("127.0.0.5")]
    public void Check_OtherLoopbackBinds_StillCheckHost(string bind)
    {
        Assert.Null(Guard(bind).Check(Request("localhost:9")));
        Assert.NotNull(Guard(bind).Check(Request("evil.example")));
    }

    [Theory]
    [InlineData("http://localhost:3000")]
    [InlineData("http://localhost")]
    [InlineData("https://127.0.0.1:8443")]
    [InlineData("http://[::1]:5173")]
    [InlineData("HTTP://LOCALHOST:3000")]
    public void Check_LocalhostOrigin_Allowed(string origin) => Assert.Null(Guard().Check(Request("localhost:12010", origin)));

    [Theory]
    [InlineData("http://evil.example")]
    [InlineData("http://localhost.evil.example")]
    [InlineData("http://localhost@evil.example")]
    [InlineData("null")]
    [InlineData("localhost")]
    public void Check_ForeignOrigin_Refused(string origin)
    {
        var refusal = Guard().Check(Request("localhost:12010", origin));
        Assert.NotNull(refusal);
        Assert.Contains("--allowed-origins", refusal);
    }

    [Fact]
    public void Check_NoOrigin_Allowed() => Assert.Null(Guard().Check(Request("127.0.0.1:12010")));

    [Fact]
    public void Check_AllowedHosts_ExtendLoopbackNames()
    {
        var guard = Guard(hosts: ["mcp.internal"]);
        Assert.Null(guard.Check(Request("mcp.internal:12010")));
        Assert.Null(guard.Check(Request("MCP.Internal")));
        Assert.Null(guard.Check(Request("localhost:12010")));
        Assert.NotNull(guard.Check(Request("evil.example")));
    }

    [Fact]
    public void Check_AllowedOrigins_ExtendLocalhostOrigins()
    {
        var guard = Guard(origins: ["https://app.example/", "http://tool.example:8080"]);
        Assert.Null(guard.Check(Request("localhost", "https://app.example")));
        Assert.Null(guard.Check(Request("localhost", "https://app.example/")));
        Assert.Null(guard.Check(Request("localhost", "http://tool.example:8080")));
        Assert.Null(guard.Check(Request("localhost", "http://localhost:3000")));
        Assert.NotNull(guard.Check(Request("localhost", "http://tool.example"))); // another port is another origin
        Assert.NotNull(guard.Check(Request("localhost", "https://evil.example")));
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    [InlineData("*")]
    public void Check_WildcardBindWithoutAllowedHosts_HostNotCheckedButOriginIs(string bind)
    {
        var guard = Guard(bind);
        Assert.Null(guard.Check(Request("gateway.lan:12010")));
        Assert.Null(guard.Check(Request("10.0.0.7")));
        Assert.NotNull(guard.Check(Request("gateway.lan:12010", "http://evil.example")));
        Assert.Null(guard.Check(Request("gateway.lan:12010", "http://localhost:3000")));
    }

    [Fact]
    public void Check_WildcardBindWithAllowedHosts_HostChecked()
    {
        var guard = Guard("0.0.0.0", hosts: ["gateway.lan"]);
        Assert.Null(guard.Check(Request("gateway.lan:12010")));
        Assert.Null(guard.Check(Request("localhost:12010")));
        Assert.NotNull(guard.Check(Request("evil.example:12010")));
    }

    [Fact]
    public void Check_BoundToAddressWithAllowedHosts_AlsoAcceptsTheBoundAddress()
    {
        var guard = Guard("192.168.1.10", hosts: ["gw.lan"]);
        Assert.Null(guard.Check(Request("192.168.1.10:12010")));
        Assert.Null(guard.Check(Request("gw.lan:12010")));
        Assert.NotNull(guard.Check(Request("evil.example")));
    }
}
