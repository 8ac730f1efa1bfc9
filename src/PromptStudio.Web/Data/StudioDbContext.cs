using System.Text.Json;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using PromptStudio.Core.Jobs;
using PromptStudio.Core.Optimization;
using PromptStudio.Web.Auth;
using PromptStudio.Web.Datasets;
using PromptStudio.Web.Jobs;
using PromptStudio.Web.Prompts;
using PromptStudio.Web.Providers;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Data;

public class StudioDbContext(DbContextOptions<StudioDbContext> options) : IdentityDbContext<StudioUser>(options)
{
    public DbSet<Workspace> Workspaces => Set<Workspace>();
    public DbSet<Prompt> Prompts => Set<Prompt>();
    public DbSet<Dataset> Datasets => Set<Dataset>();
    public DbSet<DatasetItem> DatasetItems => Set<DatasetItem>();
    public DbSet<OptimizationJob> Jobs => Set<OptimizationJob>();
    public DbSet<JobIteration> JobIterations => Set<JobIteration>();
    public DbSet<JobCandidate> JobCandidates => Set<JobCandidate>();
    public DbSet<JobEvent> JobEvents => Set<JobEvent>();
    public DbSet<WorkspaceMember> Members => Set<WorkspaceMember>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<Invitation> Invitations => Set<Invitation>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<Provider> Providers => Set<Provider>();
    public DbSet<LlmCacheEntry> LlmCache => Set<LlmCacheEntry>();

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every timestamp is stored as UTC; SQLite gives DateTime back with Kind Unspecified, so say it is UTC.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<NullableUtcConverter>();
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        var b = builder;
        b.Entity<Workspace>(e => e.Property(w => w.Name).HasMaxLength(200));
        b.Entity<WorkspaceMember>(e =>
        {
            e.HasKey(m => new { m.WorkspaceId, m.UserId });
            e.HasIndex(m => m.UserId);
            e.Property(m => m.Role).HasConversion(r => r.ToWire(), r => Enum.Parse<WorkspaceRole>(r, true)).HasMaxLength(16);
        });
        b.Entity<ApiKey>(e =>
        {
            e.HasIndex(k => k.Prefix).IsUnique();
            e.HasIndex(k => k.WorkspaceId);
            e.Property(k => k.Scope).HasConversion(s => s.ToString().ToLowerInvariant(), s => Enum.Parse<ApiKeyScope>(s, true)).HasMaxLength(16);
        });
        b.Entity<Invitation>(e =>
        {
            e.HasIndex(i => i.TokenHash).IsUnique();
            e.Property(i => i.Role).HasConversion(r => r.ToWire(), r => Enum.Parse<WorkspaceRole>(r, true)).HasMaxLength(16);
        });
        b.Entity<AuditEntry>(e => e.HasIndex(a => new { a.WorkspaceId, a.At }));

        b.Entity<Prompt>(e =>
        {
            e.HasIndex(p => new { p.WorkspaceId, p.GroupId, p.Version }).IsUnique();
            e.HasIndex(p => new { p.WorkspaceId, p.IsLatest });
            e.Property(p => p.Name).HasMaxLength(200);
            Json(e.Property(p => p.Variables));
        });

        b.Entity<Dataset>(e =>
        {
            e.HasIndex(d => d.WorkspaceId);
            e.Property(d => d.Name).HasMaxLength(200);
            e.HasMany(d => d.Items).WithOne().HasForeignKey(i => i.DatasetId).OnDelete(DeleteBehavior.Cascade);
        });

        b.Entity<DatasetItem>(e =>
        {
            Json(e.Property(i => i.Input));
            Json(e.Property(i => i.Labels));
            Json(e.Property(i => i.Metadata));
        });

        b.Entity<OptimizationJob>(e =>
        {
            e.HasIndex(j => new { j.WorkspaceId, j.CreatedAt });
            e.HasIndex(j => new { j.Status, j.CreatedAt });
            e.Property(j => j.Status).HasConversion(s => s.ToWire(), s => Enum.Parse<JobStatus>(s, true)).HasMaxLength(16);
            e.Property(j => j.LeaseVersion).IsConcurrencyToken();
            e.Property(j => j.CostUsd).HasConversion<double>();
            e.Ignore(j => j.Progress);
            Json(e.Property(j => j.Warnings));
        });

        b.Entity<JobIteration>(e => e.HasKey(i => new { i.JobId, i.Iteration }));

        b.Entity<JobCandidate>(e =>
        {
            e.HasKey(c => new { c.JobId, c.Iteration, c.Index });
            e.Property(c => c.CostUsd).HasConversion<double>();
            Json(e.Property(c => c.MetricScores));
            Json(e.Property(c => c.ItemResults));
            Json(e.Property(c => c.Scorecard));
        });

        b.Entity<JobEvent>(e => e.HasKey(ev => new { ev.JobId, ev.Id }));

        b.Entity<Provider>(e =>
        {
            e.HasIndex(p => new { p.WorkspaceId, p.Name }).IsUnique();
            e.Property(p => p.Name).HasMaxLength(100);
            e.Property(p => p.Kind).HasMaxLength(32);
            Json(e.Property(p => p.Models));
            Json(e.Property(p => p.Prices));
        });

        b.Entity<LlmCacheEntry>(e =>
        {
            e.ToTable("LlmCache");
            e.HasKey(c => c.Key);
            e.Property(c => c.Key).HasMaxLength(64);
        });
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>Stores a collection as one JSON text column, compared by content.</summary>
    private static void Json<T>(Microsoft.EntityFrameworkCore.Metadata.Builders.PropertyBuilder<T> property)
    {
        property.HasConversion(
            v => JsonSerializer.Serialize(v, JsonOptions),
            v => JsonSerializer.Deserialize<T>(v, JsonOptions)!,
            new ValueComparer<T>(
                (a, c) => JsonSerializer.Serialize(a, JsonOptions) == JsonSerializer.Serialize(c, JsonOptions),
                v => JsonSerializer.Serialize(v, JsonOptions).GetHashCode(StringComparison.Ordinal),
                v => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(v, JsonOptions), JsonOptions)!));
    }

    private sealed class UtcConverter() : ValueConverter<DateTime, DateTime>(
        v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

    private sealed class NullableUtcConverter() : ValueConverter<DateTime?, DateTime?>(
        v => v == null ? v : v.Value.Kind == DateTimeKind.Utc ? v : v.Value.ToUniversalTime(),
        v => v == null ? v : DateTime.SpecifyKind(v.Value, DateTimeKind.Utc));
}
