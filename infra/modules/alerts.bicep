// Azure Monitor alert rules over the App Insights custom metrics, named after the in-app SLA
// rules (<prefix>-crisis-sla-violations, -provider-failure, -all-tiers-down, -error-rate) so an
// alert in the portal and an alert from the app read the same. One action group e-mails the
// on-call address and posts to a webhook (the Teams workflow).

@description('UK region for the rules (the region of Application Insights).')
@allowed([
  'uksouth'
  'ukwest'
])
param location string

@description('Prefix of every alert rule name, for example askeve-prod.')
param namePrefix string

@description('Application Insights component id the rules query.')
param appInsightsId string

@description('Address that receives alert e-mails.')
param alertEmail string

@description('Webhook that receives alerts (a Teams workflow URL). It embeds a signature, so it is secure.')
@secure()
param alertWebhookUrl string

@description('Error-rate threshold, in percent of chat requests over 5 minutes.')
@minValue(1)
@maxValue(100)
param errorRateThresholdPercent int

@description('Fewest chat requests in 5 minutes before the error rate is judged.')
@minValue(1)
param errorRateMinimumRequests int

@description('Tags for every resource.')
param tags object

var webhookReceivers = empty(alertWebhookUrl) ? [] : [
  {
    name: 'teams-workflow'
    serviceUri: alertWebhookUrl
    useCommonAlertSchema: true
  }
]

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${namePrefix}-oncall'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'askeve-oncl'
    enabled: true
    emailReceivers: [
      {
        name: 'oncall-email'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
    webhookReceivers: webhookReceivers
  }
}

// The crisis SLA is the one that matters most: any violation pages at once.
resource crisisSlaViolations 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-crisis-sla-violations'
  location: location
  tags: tags
  properties: {
    displayName: '${namePrefix}-crisis-sla-violations'
    description: 'A crisis reply missed its SLA (askeve.sla.violations with a crisis measure).'
    severity: 0
    enabled: true
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    scopes: [
      appInsightsId
    ]
    criteria: {
      allOf: [
        {
          query: '''
customMetrics
| where name == "askeve.sla.violations"
| where tostring(customDimensions.measure) startswith "crisis"
| summarize violations = sum(valueSum)
'''
          timeAggregation: 'Total'
          metricMeasureColumn: 'violations'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource providerFailure 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-provider-failure'
  location: location
  tags: tags
  properties: {
    displayName: '${namePrefix}-provider-failure'
    description: 'A provider circuit breaker opened (askeve.breaker.transitions to open), per provider.'
    severity: 2
    enabled: true
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    scopes: [
      appInsightsId
    ]
    criteria: {
      allOf: [
        {
          query: '''
customMetrics
| where name == "askeve.breaker.transitions"
| where tostring(customDimensions.to_state) == "open"
| extend provider = tostring(customDimensions.provider)
| summarize opened = sum(valueSum) by provider
'''
          timeAggregation: 'Total'
          metricMeasureColumn: 'opened'
          operator: 'GreaterThan'
          threshold: 0
          dimensions: [
            {
              name: 'provider'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

// Every tier failed and the pre-approved emergency text went out instead.
resource allTiersDown 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-all-tiers-down'
  location: location
  tags: tags
  properties: {
    displayName: '${namePrefix}-all-tiers-down'
    description: 'The gateway answered with the emergency text because every LLM tier failed.'
    severity: 0
    enabled: true
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    scopes: [
      appInsightsId
    ]
    criteria: {
      allOf: [
        {
          query: '''
customMetrics
| where name == "askeve.chat.requests"
| where tostring(customDimensions.provider) == "emergency"
| where tostring(customDimensions.crisis) != "true"
| summarize emergencyReplies = sum(valueSum)
'''
          timeAggregation: 'Total'
          metricMeasureColumn: 'emergencyReplies'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

resource errorRate 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-error-rate'
  location: location
  tags: tags
  properties: {
    displayName: '${namePrefix}-error-rate'
    description: 'Share of chat requests that ended in an error, once enough requests were seen.'
    severity: 1
    enabled: true
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    scopes: [
      appInsightsId
    ]
    criteria: {
      allOf: [
        {
          query: format('''
customMetrics
| where name == "askeve.chat.requests"
| summarize total = sum(valueSum), failed = sumif(valueSum, tostring(customDimensions.outcome) == "error")
| extend errorRatePercent = iff(total < {0}, 0.0, 100.0 * failed / total)
''', errorRateMinimumRequests)
          timeAggregation: 'Maximum'
          metricMeasureColumn: 'errorRatePercent'
          operator: 'GreaterThan'
          threshold: errorRateThresholdPercent
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

output actionGroupId string = actionGroup.id
output ruleNames array = [
  crisisSlaViolations.name
  providerFailure.name
  allTiersDown.name
  errorRate.name
]
