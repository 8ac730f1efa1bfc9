using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace PromptStudio.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class CandidateScorecard : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Scorecard",
                table: "JobCandidates",
                type: "text",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Scorecard",
                table: "JobCandidates");
        }
    }
}
