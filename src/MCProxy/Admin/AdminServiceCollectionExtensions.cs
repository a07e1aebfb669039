using Microsoft.Extensions.DependencyInjection;

namespace MCProxy.Admin;

/// <summary>DI wiring of the admin socket (rule 15).</summary>
internal static class AdminServiceCollectionExtensions
{
    public static IServiceCollection AddAdmin(this IServiceCollection services, AdminSocket socket)
    {
        services.AddSingleton(socket);
        services.AddHostedService<AdminSocketService>();
        return services;
    }
}
