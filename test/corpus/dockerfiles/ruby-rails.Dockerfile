# Taught by: rails/rails railties/lib/rails/generators/rails/app/templates/Dockerfile.tt (useradd rails, USER 1000:1000)
ARG RUBY_VERSION=3.3.0
FROM ruby:$RUBY_VERSION-slim AS base
WORKDIR /rails
ENV RAILS_ENV="production" BUNDLE_DEPLOYMENT="1"
FROM base AS build
RUN apt-get update -qq && apt-get install --no-install-recommends -y build-essential git
COPY Gemfile Gemfile.lock ./
RUN bundle install
COPY . .
FROM base
COPY --from=build /usr/local/bundle /usr/local/bundle
COPY --from=build /rails /rails
RUN groupadd --system --gid 1000 rails && useradd rails --uid 1000 --gid 1000 --create-home --shell /bin/bash && chown -R rails:rails db log storage tmp
USER 1000:1000
ENTRYPOINT ["/rails/bin/docker-entrypoint"]
EXPOSE 3000
CMD ["./bin/rails", "server"]
