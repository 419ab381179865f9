//! The `ringflux` daemon: parse the command line, set up logging, run the server, exit code.

mod cli;
mod shutdown;
mod startup;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    let code = match cli.command {
        cli::Command::Serve(args) => match args.resolve() {
            Ok(cfg) => {
                init_tracing(&cfg.log_level);
                match startup::run(cfg) {
                    Ok(()) => 0,
                    Err(e) => {
                        tracing::error!("{e}");
                        eprintln!("ringflux: {e}");
                        1
                    }
                }
            }
            Err(e) => {
                eprintln!("ringflux: {e}");
                2
            }
        },
    };
    std::process::exit(code);
}

fn init_tracing(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(format!("{level},hyper=warn,glommio=warn"))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
