using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Api;

/// <summary>Endpoint metadata: the permission an endpoint needs, when it is not the default for its method.</summary>
public sealed record RequiresPermission(Permission Permission);

public static class PermissionFilter
{
    /// <summary>
    /// Every API endpoint in the group needs a resolved workspace and a permission: GET needs read, other
    /// methods need write, unless the endpoint asks for more with <see cref="RequirePermission"/>. So a new
    /// endpoint is protected without anyone remembering to protect it.
    /// </summary>
    /// <remarks>
    /// The prompt, dataset and job services check write permission themselves, because the dashboard calls them
    /// directly; for those routes this filter is defense in depth (same 403, same message, answered before the
    /// handler runs). It stays because it also covers every endpoint whose service does not check, and answers an
    /// unknown workspace with 404.
    /// </remarks>
    public static RouteGroupBuilder RequireWorkspacePermissions(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var workspace = http.RequestServices.GetRequiredService<WorkspaceContext>();
            var required = http.GetEndpoint()?.Metadata.GetMetadata<RequiresPermission>()?.Permission
                ?? (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) ? Permission.Read : Permission.Write);
            if (!workspace.IsResolved)
            {
                return http.Request.Headers.TryGetValue(WorkspaceResolver.WorkspaceHeader, out var requested)
                    ? TypedResults.Problem(statusCode: 404, title: "Not found", detail: $"Workspace {requested} was not found.")
                    : TypedResults.Problem(statusCode: 403, title: "Forbidden", detail: "You are not a member of any workspace.");
            }
            if (!workspace.Can(required)) return TypedResults.Problem(statusCode: 403, title: "Forbidden", detail: Denied(workspace, required));
            return await next(context);
        });
        return group;
    }

    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, Permission permission) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiresPermission(permission));

    public static string Denied(WorkspaceContext workspace, Permission required)
    {
        var who = workspace.ApiKeyId is null
            ? $"your role '{workspace.Role.ToWire()}'"
            : $"this API key (at most '{workspace.MaxPermission.ToString().ToLowerInvariant()}')";
        return $"This needs '{required.ToString().ToLowerInvariant()}' permission in workspace '{workspace.WorkspaceName}', which {who} does not give.";
    }
}
